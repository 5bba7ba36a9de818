import { join } from 'node:path';
import { ReleaseDriver, type InstanceView } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { fixture, postXml, storedDefinitions } from './definitions-support';

const CHANGE = 'two-processes-change';
const REVIEW = 'two-processes-review';

/**
 * A file with several executable processes (Camunda 8): each is deployed as a definition of its own, with its own
 * key and version; a process not marked executable is skipped. Each starts on its own, one calls the other, a
 * message starts the one with the message start event, and the unchanged file deployed again is no new version.
 */
describe('several executable processes in one file', () => {
  let t: TestApp;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp({ PROCESSES_DIR: join(__dirname, '..', 'instances', 'fixtures') });
    driver = ReleaseDriver.forApp(t);
  });
  afterAll(() => t.close());

  const ours = async () =>
    (await storedDefinitions(t)).filter((d) => d.key.startsWith('two-processes')).map((d) => ({ ...d }));
  const start = async (processId: string) => {
    const res = await driver.call('POST', '/api/process-instances', { processId }, 'process-designer');
    expect(res.status).toBe(201);
    return res.body as InstanceView;
  };
  const childOf = (parentId: string) =>
    eventually(
      async () => {
        const rows = await t.dataSource.query<Array<{ id: string; process_key: string }>>(
          'SELECT id, process_key FROM process_instance WHERE parent_instance_id = $1',
          [parentId],
        );
        return rows[0];
      },
      { what: `the child of ${parentId}` },
    );
  const completeTask = async (instanceId: string, elementId: string) => {
    const task = await eventually(
      async () => (await driver.instance(instanceId)).openTasks.find((x) => x.elementId === elementId),
      { what: `task ${elementId} of ${instanceId}` },
    );
    const res = await driver.request('POST', `/api/tasks/${task.id}/complete`, {
      body: { data: {} },
      as: 'project-manager',
    });
    expect(res.status).toBe(200);
  };
  const ended = (id: string) =>
    eventually(
      async () => {
        const now = await driver.instance(id);
        return now.status !== 'running' ? now : undefined;
      },
      { what: `instance ${id} to end` },
    );

  it('given a file with two executable processes and one that is not, when the dry run checks it, then both executable ones are named', async () => {
    const res = await postXml(t, fixture('two-processes.bpmn'), 'process-designer', '/validate');

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: true, processId: CHANGE, processIds: [CHANGE, REVIEW] });
  });

  it('given that file, when it is deployed, then each executable process is a definition of its own, version 1, and the other is not deployed', async () => {
    const res = await postXml(t, fixture('two-processes.bpmn'));

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ key: CHANGE, version: 1, created: true });
    expect(res.body.processes).toEqual([
      expect.objectContaining({ key: CHANGE, version: 1, created: true }),
      expect.objectContaining({ key: REVIEW, version: 1, created: true }),
    ]);
    expect(res.body.processes[0].xml).toBeUndefined();
    expect(await ours()).toEqual([
      { key: CHANGE, version: 1 },
      { key: REVIEW, version: 1 },
    ]);
    const listed = await t.as('applicant').get('/api/process-definitions');
    expect(listed.status).toBe(200);
    const keys = (listed.body as Array<{ key: string }>).map((d) => d.key);
    expect(keys).toEqual(expect.arrayContaining([CHANGE, REVIEW]));
    expect(keys).not.toContain('two-processes-cab');
  });

  it('given the file deployed, when it is deployed again unchanged, then neither process gets a new version', async () => {
    const res = await postXml(t, fixture('two-processes.bpmn'));

    expect(res.status).toBe(200);
    expect(res.body.created).toBe(false);
    expect(res.body.processes).toEqual([
      expect.objectContaining({ key: CHANGE, version: 1, created: false }),
      expect.objectContaining({ key: REVIEW, version: 1, created: false }),
    ]);
    expect(await ours()).toEqual([
      { key: CHANGE, version: 1 },
      { key: REVIEW, version: 1 },
    ]);
  });

  it('given the file changed, when it is deployed through /v2, then each process is the next version and the response lists each process definition', async () => {
    const changed = fixture('two-processes.bpmn').replace('评审 (review)"', '评审变更 (review the change)"');
    const res = await t
      .as('process-designer')
      .post('/v2/deployments')
      .attach('resources', Buffer.from(changed), 'two-processes.bpmn');

    expect(res.status).toBe(200);
    const deployed = (res.body.deployments as Array<{ processDefinition?: Record<string, unknown> }>).map(
      (d) => d.processDefinition,
    );
    expect(deployed).toEqual([
      expect.objectContaining({
        processDefinitionId: CHANGE,
        processDefinitionVersion: 2,
        resourceName: 'two-processes.bpmn',
      }),
      expect.objectContaining({
        processDefinitionId: REVIEW,
        processDefinitionVersion: 2,
        resourceName: 'two-processes.bpmn',
      }),
    ]);
    expect(deployed[0]!.processDefinitionKey).not.toBe(deployed[1]!.processDefinitionKey);
  });

  it('given the called process alone, when it is started, then only it runs: it waits at its task and ends when the task is done', async () => {
    const review = await start(REVIEW);

    expect(review.processKey).toBe(REVIEW);
    expect((await driver.instance(review.id)).activeActivities.map((a) => a.elementId)).toEqual(['review']);
    await completeTask(review.id, 'review');
    expect((await ended(review.id)).status).toBe('completed');
  });

  it('given the calling process, when it is started, then its call activity starts the other process of the file as its child, and the child ending completes it', async () => {
    const change = await start(CHANGE);
    const child = await childOf(change.id);

    expect(child.process_key).toBe(REVIEW);
    expect((await driver.instance(change.id)).activeActivities.map((a) => a.elementId)).toEqual([
      'call-review',
    ]);
    await completeTask(child.id, 'review');

    expect((await ended(child.id)).status).toBe('completed');
    expect((await ended(change.id)).status).toBe('completed');
    expect(await driver.pathTaken(change.id)).toContain('call-review');
  });

  it('given a message start event in the second process, when its message is published, then an instance of that process starts, not of the first', async () => {
    const res = await driver.call(
      'POST',
      '/api/messages/publish',
      { name: 'two-processes-review', correlationKey: 'CHG-1', variables: { changeId: 'CHG-1' } },
      'project-manager',
    );

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ correlatedTo: { elementId: 'review-requested' } });
    const started = await driver.instance(res.body.correlatedTo.instanceId as string);
    expect(started.processKey).toBe(REVIEW);
    expect(started.activeActivities.map((a) => a.elementId)).toEqual(['review']);
  });

  it('given a signal start event in the first process, when its signal is broadcast, then an instance of that process starts and calls the second', async () => {
    const res = await driver.call(
      'POST',
      '/api/signals/broadcast',
      { name: 'two-processes-freeze-lifted', variables: {} },
      'project-manager',
    );

    expect(res.status).toBe(200);
    expect(res.body.triggered).toEqual([{ instanceId: expect.any(String), elementId: 'freeze-lifted' }]);
    const started = await driver.instance(res.body.triggered[0].instanceId as string);
    expect(started.processKey).toBe(CHANGE);
    expect((await childOf(started.id)).process_key).toBe(REVIEW);
  });
});
