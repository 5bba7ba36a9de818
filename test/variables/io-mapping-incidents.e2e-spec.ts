import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';
import { ReleaseDriver, type InstanceView } from '../support/release-driver';

interface V2Incident {
  incidentKey: string;
  elementId: string;
  errorType: string;
  errorMessage: string;
  state: string;
}

/**
 * An output mapping that fails on a completion (Camunda 8): the completion is taken (the job is completed, the
 * task closed) and the element waits with an IO_MAPPING_ERROR incident. Once the variables the mapping reads are
 * fixed and the incident is resolved, the mapping is applied again to the stored completion and the flow goes on;
 * still failing, it raises a new incident. What is wrong in the request itself is still refused. The rollout's job
 * type has no handler in the service: an external worker reports it over /v2; no workers run.
 */
describe('an output mapping that fails on a completion', () => {
  let s: EngineScenario;
  const driver = () => ReleaseDriver.forApp(s.t);

  beforeAll(async () => {
    // The shipped-flows deploy refuses job types without a handler: the rollout is deployed as a designer would.
    s = await EngineScenario.start({
      processesDir: join(__dirname, '..', 'instances', 'fixtures'),
      workers: false,
    });
    const deployed = await driver().deploy(
      readFileSync(join(__dirname, 'fixtures-io-incidents', 'rollout-record.bpmn'), 'utf8'),
    );
    if (deployed.status !== 201)
      throw new Error(`deploy: ${deployed.status} ${JSON.stringify(deployed.body)}`);
  });
  afterAll(() => s.close());

  const start = async (variables: Record<string, unknown>) => {
    const res = await driver().call(
      'POST',
      '/api/process-instances',
      { processId: 'rollout-record', variables },
      'process-designer',
    );
    expect(res.status).toBe(201);
    return (res.body as InstanceView).id;
  };
  const view = (id: string) => driver().get<InstanceView>(`/api/process-instances/${id}`, 'admin');
  const activeAt = async (id: string) =>
    (await view(id)).activeActivities.map((a) => `${a.elementId}:${a.kind}`).sort();
  const openIncidents = async (id: string) => (await view(id)).incidents.filter((i) => i.status === 'open');
  const setVariables = async (id: string, variables: Record<string, unknown>) => {
    const res = await driver().call(
      'PATCH',
      `/api/process-instances/${id}/variables`,
      { variables },
      'admin',
    );
    expect(res.status).toBe(200);
  };
  /** Activate the one rollout job over /v2 and complete it with `variables`; the response. */
  const workRollout = async (variables: unknown) => {
    const activated = await driver().call(
      'POST',
      '/v2/jobs/activation',
      { type: 'ext.roll-out', timeout: 60_000, maxJobsToActivate: 1, requestTimeout: -1 },
      'process-designer',
    );
    expect(activated.status).toBe(200);
    const [job] = activated.body.jobs as Array<{ jobKey: string }>;
    if (!job) throw new Error('no rollout job to activate');
    return driver().call('POST', `/v2/jobs/${job.jobKey}/completion`, { variables }, 'process-designer');
  };
  const v2Incidents = async (id: string) => {
    const res = await driver().call(
      'POST',
      '/v2/incidents/search',
      { filter: { processDefinitionId: 'rollout-record', state: 'ACTIVE' } },
      'admin',
    );
    expect(res.status).toBe(200);
    const mine = new Set((await openIncidents(id)).map((i) => i.elementId));
    return (res.body.items as V2Incident[]).filter((i) => mine.has(i.elementId));
  };
  const jobStatuses = async (id: string) =>
    (
      await s.t.dataSource.query<Array<{ status: string }>>(
        `SELECT status FROM job WHERE instance_id = $1 AND element_id = 'roll-out'`,
        [id],
      )
    ).map((r) => r.status);

  it('given a rollout waiting for its worker, when the worker completes it and the output mapping fails, then the completion is accepted and the instance waits with an IO_MAPPING_ERROR; fixed and resolved through /v2, it goes on', async () => {
    const id = await start({ replicas: 'two' });

    const completed = await workRollout({ hosts: ['app-1', 'app-2', 'app-3'] });

    expect(completed.status).toBe(204);
    expect(await jobStatuses(id)).toEqual(['completed']);
    expect(await activeAt(id)).toEqual(['roll-out:incident']);
    const [incident] = await openIncidents(id);
    expect(incident).toMatchObject({
      elementId: 'roll-out',
      jobId: null,
      errorType: 'IO_MAPPING_ERROR',
      error: expect.stringContaining('output mapping'),
    });
    const [listed] = await v2Incidents(id);
    expect(listed).toMatchObject({ elementId: 'roll-out', errorType: 'IO_MAPPING_ERROR', state: 'ACTIVE' });

    // Resolved with the variable still wrong: applied again, a new incident.
    const again = await driver().call('POST', `/v2/incidents/${listed!.incidentKey}/resolution`, {}, 'admin');
    expect(again.status).toBe(204);
    const reopened = await openIncidents(id);
    expect(reopened).toHaveLength(1);
    expect(reopened[0]!.id).not.toBe(incident!.id);

    await setVariables(id, { replicas: 2 });
    const [current] = await v2Incidents(id);
    const resolved = await driver().call(
      'POST',
      `/v2/incidents/${current!.incidentKey}/resolution`,
      {},
      'admin',
    );

    expect(resolved.status).toBe(204);
    expect(await activeAt(id)).toEqual(['confirm:user-task']);
    expect((await s.row(id)).variables).toMatchObject({ rolledOut: ['app-1', 'app-2'] });
    expect(await openIncidents(id)).toEqual([]);
    expect(await jobStatuses(id)).toEqual(['completed']);
  });

  it('given a rollout whose output mapping failed, when the service restarts and the incident is resolved after the fix, then the stored completion is applied and the flow goes on', async () => {
    const id = await start({ replicas: 'all' });
    expect((await workRollout({ hosts: ['db-1'] })).status).toBe(204);
    expect(await openIncidents(id)).toHaveLength(1);

    await s.restart();
    expect(await activeAt(id)).toEqual(['roll-out:incident']);
    await setVariables(id, { replicas: 1 });
    const [incident] = await openIncidents(id);
    const resolved = await driver().call(
      'POST',
      `/api/incidents/${incident!.id}/resolve`,
      { comment: 'replica count corrected' },
      'admin',
    );

    expect(resolved.status).toBe(200);
    expect(await activeAt(id)).toEqual(['confirm:user-task']);
    expect((await s.row(id)).variables).toMatchObject({ rolledOut: ['db-1'] });
  });

  it('given a rollout waiting for confirmation, when the manager completes the task in the inbox and its output mapping fails, then the task is done, the instance waits with an incident, and resolving after the fix finishes it', async () => {
    const id = await start({ replicas: 1, rounds: 'once' });
    expect((await workRollout({ hosts: ['app-1'] })).status).toBe(204);
    expect(await activeAt(id)).toEqual(['confirm:user-task']);

    await s.completeTask(id, 'confirm', { verdict: 'go' });

    const after = await view(id);
    expect(after.openTasks).toEqual([]);
    expect(after.status).toBe('running');
    expect(await activeAt(id)).toEqual(['confirm:incident']);
    const [incident] = await openIncidents(id);
    expect(incident).toMatchObject({ elementId: 'confirm', errorType: 'IO_MAPPING_ERROR' });

    await setVariables(id, { rounds: 1 });
    const resolved = await driver().call(
      'POST',
      `/api/incidents/${incident!.id}/resolve`,
      { comment: 'rounds corrected' },
      'admin',
    );

    expect(resolved.status).toBe(200);
    const done = await s.row(id);
    expect(done.status).toBe('completed');
    expect(done.variables).toMatchObject({ verdicts: ['go'] });
  });

  it('given a rollout waiting for its worker, when the worker completes it with variables that are not an object, then the completion is refused naming the field and the job stays open', async () => {
    const id = await start({ replicas: 1 });

    const refused = await workRollout(['app-1']);

    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('variables');
    expect(await jobStatuses(id)).toEqual(['pending']);
    expect(await openIncidents(id)).toEqual([]);
  });
});
