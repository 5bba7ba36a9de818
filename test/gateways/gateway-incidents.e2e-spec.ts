import { join } from 'node:path';
import { ReleaseDriver, type InstanceView } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * An exclusive gateway where no outgoing condition is true and there is no default flow (Camunda 8): the request
 * that reaches it (a start, a task completed) succeeds, the instance waits at the gateway with an incident that
 * says so, and once the variables are corrected and the incident resolved, the gateway is evaluated again. A
 * resolution with the variables still wrong raises a new incident. What is wrong in the request itself is still
 * refused. No workers run (no jobs here).
 */
describe('an exclusive gateway with no way on', () => {
  const env = { PROCESSES_DIR: join(__dirname, 'fixtures', 'no-way-on'), RUN_WORKERS: 'false' };
  let t: TestApp;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp(env);
    driver = ReleaseDriver.forApp(t);
  });
  afterAll(() => t.close());

  const start = (variables: unknown) =>
    driver.call(
      'POST',
      '/api/process-instances',
      { processId: 'change-route', variables },
      'process-designer',
    );
  const view = (id: string) => driver.get<InstanceView>(`/api/process-instances/${id}`);
  const waitingAt = async (id: string) =>
    (await view(id)).activeActivities.map((a) => `${a.elementId}:${a.kind}`).sort();
  const openIncidents = async (id: string) => (await view(id)).incidents.filter((i) => i.status === 'open');
  const setVariables = async (id: string, variables: Record<string, unknown>) => {
    const res = await driver.call(
      'PATCH',
      `/api/process-instances/${id}/variables`,
      { variables },
      'process-designer',
    );
    expect(res.status).toBe(200);
  };
  const completeTask = async (id: string, elementId: string, data: Record<string, unknown>) => {
    const task = (await view(id)).openTasks.find((x) => x.elementId === elementId);
    if (!task) throw new Error(`no open task at ${elementId}`);
    return driver.request('POST', `/api/tasks/${task.id}/complete`, {
      body: { data },
      as: 'project-manager',
    });
  };
  /** The instance's open incidents as /v2 lists them (by process id: one instance at a time here). */
  const v2Incidents = async () => {
    const res = await driver.call(
      'POST',
      '/v2/incidents/search',
      { filter: { processDefinitionId: 'change-route', state: 'ACTIVE' } },
      'admin',
    );
    expect(res.status).toBe(200);
    return res.body.items as Array<Record<string, unknown>>;
  };

  it('given a risk no route names, when the change is filed, then the instance is created and waits at the gateway with an incident saying no condition is true', async () => {
    const res = await start({ risk: 'medium' });

    expect(res.status).toBe(201);
    const id = (res.body as InstanceView).id;
    expect(await waitingAt(id)).toEqual(['by-risk:incident']);
    expect(await openIncidents(id)).toEqual([
      expect.objectContaining({
        elementId: 'by-risk',
        jobId: null,
        jobType: null,
        error: expect.stringContaining('no outgoing sequence flow has a condition that is true'),
      }),
    ]);
    expect((await view(id)).history.map((h) => h.type)).toContain('incident.created');
    const [listed] = await v2Incidents();
    expect(listed).toMatchObject({ elementId: 'by-risk', errorType: 'CONDITION_ERROR', state: 'ACTIVE' });
    expect(listed!.jobKey).toBeUndefined();

    // Resolved with the risk still unnamed: evaluated again, a new incident.
    const [first] = await openIncidents(id);
    const again = await driver.call('POST', `/api/incidents/${first!.id}/retry`, undefined, 'admin');
    expect(again.status).toBe(200);
    const reopened = await openIncidents(id);
    expect(reopened).toHaveLength(1);
    expect(reopened[0]!.id).not.toBe(first!.id);
    expect(await waitingAt(id)).toEqual(['by-risk:incident']);

    // Corrected and resolved through /v2: the gateway takes the route of the risk.
    await setVariables(id, { risk: 'high' });
    const [v2] = await v2Incidents();
    const resolved = await driver.call('POST', `/v2/incidents/${v2!.incidentKey}/resolution`, {}, 'admin');
    expect(resolved.status).toBe(204);
    expect(await waitingAt(id)).toEqual(['assess:user-task']);
    expect(await openIncidents(id)).toEqual([]);
    expect(await v2Incidents()).toEqual([]);
  });

  it('given a change waiting for its assessment, when the assessment is completed with a decision no route names, then the completion succeeds and the instance waits at the next gateway with an incident; corrected and resolved, it goes on', async () => {
    const id = ((await start({ risk: 'high' })).body as InstanceView).id;

    const completed = await completeTask(id, 'assess', { decision: 'postpone' });

    expect(completed.status).toBe(200);
    expect(await waitingAt(id)).toEqual(['after-assessment:incident']);
    const [incident] = await openIncidents(id);
    expect(incident).toMatchObject({ elementId: 'after-assessment', status: 'open' });

    await setVariables(id, { decision: 'approve' });
    const resolved = await driver.call(
      'POST',
      `/api/incidents/${incident!.id}/resolve`,
      { comment: 'decision corrected' },
      'admin',
    );
    expect(resolved.status).toBe(200);
    expect(await waitingAt(id)).toEqual(['cab-approval:user-task']);
  });

  it('given a change waiting at a gateway incident, when it is cancelled, then the incident is closed with it', async () => {
    const id = ((await start({ risk: 'unknown' })).body as InstanceView).id;
    expect(await openIncidents(id)).toHaveLength(1);

    const res = await driver.call('POST', `/api/process-instances/${id}/cancel`, { reason: 'filed twice' });

    expect(res.status).toBe(200);
    const cancelled = await view(id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.activeActivities).toEqual([]);
    expect(await openIncidents(id)).toEqual([]);
  });

  it('given variables that are not an object, when the change is filed, then the request is refused naming the field and no instance is made', async () => {
    const [before] = await t.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM process_instance WHERE process_key = 'change-route'`,
    );

    const res = await start(['risk', 'high']);

    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('variables');
    const [after] = await t.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM process_instance WHERE process_key = 'change-route'`,
    );
    expect(after!.n).toBe(before!.n);
  });

  it('given a risk a route names, when the change is filed, then it takes that route and no incident is raised', async () => {
    const res = await start({ risk: 'low' });

    expect(res.status).toBe(201);
    const done = await view((res.body as InstanceView).id);
    expect(done.status).toBe('completed');
    expect(done.incidents).toEqual([]);
  });
});
