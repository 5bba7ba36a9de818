import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { ReleaseDriver, type InstanceView } from '../support/release-driver';
import { PROJECT_ROOT, startTestApp, type TestApp } from '../support/test-app';

/**
 * The native API over any deployed process: start by id (latest or a given version), list, read, cancel, and read or
 * set an instance's variables. Users are named after their role; no workers run (the processes here have none).
 */
describe('process instances API', () => {
  const fixtures = join(__dirname, 'fixtures');
  let t: TestApp;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp({ PROCESSES_DIR: fixtures, RUN_WORKERS: 'false' });
    driver = ReleaseDriver.forApp(t);
    // A release flow beside the fixtures (with the forms it links): its instances start by filing a release.
    await driver.deployShippedForms();
    const standard = readFileSync(join(PROJECT_ROOT, 'processes', 'standard-release.bpmn'), 'utf8');
    expect((await driver.deploy(standard)).status).toBe(201);
  });
  afterAll(() => t.close());

  const start = (body: Record<string, unknown>, as = 'applicant') =>
    driver.call('POST', '/api/process-instances', body, as);
  const view = (id: string) => driver.get<InstanceView>(`/api/process-instances/${id}`);
  const list = (query: Record<string, string | number>, as = 'project-manager') =>
    driver.request('GET', '/api/process-instances', { query, as });
  const instanceCount = async () =>
    (await t.dataSource.query<Array<{ n: number }>>('SELECT count(*)::int AS n FROM process_instance'))[0]!.n;
  const row = async (id: string) =>
    (
      await t.dataSource.query<Array<{ revision: number; variables: Record<string, unknown> }>>(
        'SELECT revision, variables FROM process_instance WHERE id = $1',
        [id],
      )
    )[0]!;
  /** The instance's open task at `elementId`, completed by its group with the form's answers plus `data`. */
  const completeTask = async (instanceId: string, elementId: string, data: Record<string, unknown> = {}) => {
    const open = (await view(instanceId)).openTasks.find((task) => task.elementId === elementId);
    if (!open) throw new Error(`no open task ${elementId} in ${instanceId}`);
    await driver.finish(await driver.taskDetail(open.id), data);
  };
  const history = async (id: string, type: string) => (await view(id)).history.filter((h) => h.type === type);

  it('given a process whose starterGroups name applicants, when an applicant starts it by id and the review is done, then it answers 201 waiting at the review and ends at the path its variables choose', async () => {
    const started = await start({
      processId: 'access-request',
      businessKey: 'ACC-1',
      variables: { requester: 'applicant', priority: 'low' },
    });

    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      processKey: 'access-request',
      version: 1,
      businessKey: 'ACC-1',
      status: 'running',
      variables: { requester: 'applicant', priority: 'low' },
    });
    expect(started.body.activeActivities).toEqual([
      expect.objectContaining({ elementId: 'review', kind: 'user-task' }),
    ]);
    expect(await history(started.body.id, 'instance.started')).toEqual([
      expect.objectContaining({ actor: 'applicant' }),
    ]);

    await completeTask(started.body.id, 'review', { planApproved: true });

    const done = await view(started.body.id);
    expect(done.status).toBe('completed');
    expect(done.completedActivities).toEqual(expect.arrayContaining(['review', 'priority', 'queued']));
    expect(done.completedActivities).not.toContain('expedited');
    const found = await list({ processId: 'access-request', businessKey: 'ACC-1', state: 'completed' });
    expect(found.body).toEqual({
      items: [
        expect.objectContaining({
          id: started.body.id,
          processId: 'access-request',
          version: 1,
          state: 'completed',
          businessKey: 'ACC-1',
        }),
      ],
      total: 1,
      page: 1,
      pageSize: 50,
    });
    expect(found.body.items[0]).not.toHaveProperty('variables');
  });

  it('given who may start what, when others start, then a role the process does not name, an unsigned caller and a release flow are refused with the reason and nothing starts; designers start any process', async () => {
    const before = await instanceCount();

    const unnamedRole = await start({ processId: 'access-request' }, 'network-engineer');
    const noStarters = await start({ processId: 'designers-only' }, 'applicant');
    const unsigned = await start({ processId: 'access-request' }, 'nobody');
    const releaseFlow = await start({ processId: 'standard-release' }, 'admin');

    expect(unnamedRole.status).toBe(403);
    expect(unnamedRole.body.message).toMatch(/applicant, test-team.*starterGroups/);
    expect(noStarters.status).toBe(403);
    expect(noStarters.body.message).toMatch(/names no starterGroups/);
    expect(unsigned.status).toBe(401);
    expect(releaseFlow.status).toBe(403);
    expect(releaseFlow.body.message).toMatch(/POST \/api\/releases/);
    expect(await instanceCount()).toBe(before);

    const byTestTeam = await start({ definitionKey: 'access-request' }, 'test-team');
    const byDesigner = await start({ processId: 'designers-only' }, 'process-designer');
    expect(byTestTeam.status).toBe(201);
    expect(byDesigner.status).toBe(201);
    expect(await instanceCount()).toBe(before + 2);
  });

  it('given bad input, when starting, then 400 names the field (413 past the variables cap, 404 for an unknown process or version) and nothing starts', async () => {
    const before = await instanceCount();

    const cases = await Promise.all([
      start({ variables: { a: 1 } }),
      start({ processId: 'access-request', definitionKey: 'designers-only' }),
      start({ processId: 'access-request', version: 0 }),
      start({ processId: 'access-request', variables: [1, 2] }),
      start({ processId: 'access-request', variables: { content: 'engine word' } }),
      start({ processId: 'access-request', colour: 'red' }),
      start({ processId: 'access-request', businessKey: '' }),
    ]);
    const tooBig = await start({
      processId: 'access-request',
      variables: { blob: 'x'.repeat(t.config.variablesMaxBytes) },
    });
    const unknownProcess = await start({ processId: 'no-such-process' });
    const unknownVersion = await start({ processId: 'access-request', version: 99 });

    const fields = cases.map((c) => [
      c.status,
      (c.body.details ?? []).map((d: { field: string }) => d.field),
    ]);
    expect(fields).toEqual([
      [400, ['processId']],
      [400, ['processId']],
      [400, ['version']],
      [400, ['variables']],
      [400, ['variables.content']],
      [400, ['colour']],
      [400, ['businessKey']],
    ]);
    expect(tooBig.status).toBe(413);
    expect(unknownProcess.status).toBe(404);
    expect(unknownVersion.status).toBe(404);
    expect(unknownVersion.body.message).toMatch(/no version 99/);
    expect(await instanceCount()).toBe(before);
  });

  it('given two versions of a process, when one starts at version 1 and one at the latest, then each runs on its version and the list filters and pages by them', async () => {
    const v2 = readFileSync(join(fixtures, 'access-request.bpmn'), 'utf8').replace(
      '权限申请 (access request)',
      '权限申请 v2 (access request)',
    );
    expect((await driver.deploy(v2)).status).toBe(201);

    const onFirst = await start({ processId: 'access-request', version: 1, businessKey: 'ACC-V' });
    const onLatest = await start({ processId: 'access-request', businessKey: 'ACC-V' });

    expect(onFirst.body.version).toBe(1);
    expect(onLatest.body.version).toBe(2);
    const first = await list({ processId: 'access-request', version: 1, businessKey: 'ACC-V' });
    expect(first.body.items.map((i: { id: string }) => i.id)).toEqual([onFirst.body.id]);
    const paged = await list({ businessKey: 'ACC-V', pageSize: 1, page: 2, sort: 'startedAt' });
    expect(paged.body).toMatchObject({ total: 2, page: 2, pageSize: 1 });
    expect(paged.body.items.map((i: { id: string }) => i.id)).toEqual([onLatest.body.id]);
    const future = await list({ businessKey: 'ACC-V', startedFrom: '2999-01-01T00:00:00Z' });
    expect(future.body.total).toBe(0);
    const badState = await list({ state: 'done' });
    expect(badState.status).toBe(400);
    expect(JSON.stringify(badState.body.details)).toMatch(/state/);
    const unsigned = await driver.request('GET', '/api/process-instances', {
      query: { processId: 'access-request' },
    });
    expect(unsigned.status).toBe(401);
  });

  it('given a running instance, when a process designer cancels it with a reason, then it is cancelled with its task withdrawn; a second cancel is 409, other roles 403 and no reason 400', async () => {
    const { body: instance } = await start({ processId: 'access-request' });

    const noReason = await driver.call(
      'POST',
      `/api/process-instances/${instance.id}/cancel`,
      {},
      'process-designer',
    );
    const byApplicant = await driver.call(
      'POST',
      `/api/process-instances/${instance.id}/cancel`,
      { reason: 'mine' },
      'applicant',
    );
    expect(noReason.status).toBe(400);
    expect(JSON.stringify(noReason.body.details)).toMatch(/reason/);
    expect(byApplicant.status).toBe(403);
    expect((await view(instance.id)).status).toBe('running');

    const cancelled = await driver.call(
      'POST',
      `/api/process-instances/${instance.id}/cancel`,
      { reason: 'filed twice' },
      'process-designer',
    );
    const again = await driver.call(
      'POST',
      `/api/process-instances/${instance.id}/cancel`,
      { reason: 'filed twice' },
      'process-designer',
    );

    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', openTasks: [] });
    expect(await history(instance.id, 'instance.cancelled')).toEqual([
      expect.objectContaining({ actor: 'process-designer', data: { reason: 'filed twice' } }),
    ]);
    expect(again.status).toBe(409);
    expect(
      (await driver.call('POST', `/api/process-instances/${randomUUID()}/cancel`, { reason: 'x' })).status,
    ).toBe(404);
  });

  it('given an instance waiting at its review with priority "low", when a process designer sets priority "high", then the revision moves on, the history keeps the old value, and the gateway after the review routes on the new one', async () => {
    const { body: instance } = await start({ processId: 'access-request', variables: { priority: 'low' } });
    const revision = (await row(instance.id)).revision;
    const cache = t.get<InstanceService>(InstanceService).engineCacheStats();

    const patched = await driver.call(
      'PATCH',
      `/api/process-instances/${instance.id}/variables`,
      { variables: { priority: 'high', note: '加急 (urgent)' } },
      'process-designer',
    );

    expect(patched.status).toBe(200);
    expect(patched.body.variables).toEqual({ priority: 'high', note: '加急 (urgent)' });
    expect((await row(instance.id)).revision).toBe(revision + 1);
    expect(await history(instance.id, 'variables.updated')).toEqual([
      expect.objectContaining({
        actor: 'process-designer',
        data: {
          variables: { priority: 'high', note: '加急 (urgent)' },
          previous: { priority: 'low', note: null },
        },
      }),
    ]);
    const read = await driver.call(
      'GET',
      `/api/process-instances/${instance.id}/variables`,
      undefined,
      'admin',
    );
    expect(read.body).toEqual({
      variables: { priority: 'high', note: '加急 (urgent)' },
      readOnlyVariables: [],
    });

    await completeTask(instance.id, 'review', { planApproved: true });

    const done = await view(instance.id);
    expect(done.completedActivities).toContain('expedited');
    expect(done.variables).toMatchObject({ priority: 'high', planApproved: true });
    // The engine kept after the start held priority "low": the next step did not use it.
    expect(t.get<InstanceService>(InstanceService).engineCacheStats().hits).toBe(cache.hits);
  });

  it('given variables a caller may not set, when patching, then 400 names each (read-only, reserved, empty), other roles get 403, an ended instance 409, and nothing changes', async () => {
    const release = await driver.file('standard');
    const { body: ended } = await start({ processId: 'access-request' });
    await driver.call('POST', `/api/process-instances/${ended.id}/cancel`, { reason: 'done' }, 'admin');
    const before = await row(release.instanceId);
    const patch = (id: string, body: unknown, as = 'process-designer') =>
      driver.call('PATCH', `/api/process-instances/${id}/variables`, body, as);

    const readOnly = await patch(release.instanceId, {
      variables: { releaseNumber: 'REL-1999-0001', title: 'x' },
    });
    const reserved = await patch(release.instanceId, { variables: { fields: {} } });
    const empty = await patch(release.instanceId, { variables: {} });
    const notObject = await patch(release.instanceId, { variables: 'high' });
    const byApplicant = await patch(release.instanceId, { variables: { title: 'x' } }, 'applicant');
    const readByApplicant = await driver.call(
      'GET',
      `/api/process-instances/${release.instanceId}/variables`,
      undefined,
      'applicant',
    );
    const onEnded = await patch(ended.id, { variables: { priority: 'high' } });

    expect(readOnly.status).toBe(400);
    expect(readOnly.body.details).toEqual([expect.objectContaining({ field: 'variables.releaseNumber' })]);
    expect(reserved.status).toBe(400);
    expect(reserved.body.details).toEqual([expect.objectContaining({ field: 'variables.fields' })]);
    expect(empty.status).toBe(400);
    expect(notObject.status).toBe(400);
    expect(JSON.stringify(notObject.body.details)).toMatch(/variables/);
    expect(byApplicant.status).toBe(403);
    expect(readByApplicant.status).toBe(403);
    expect(onEnded.status).toBe(409);
    expect(await row(release.instanceId)).toEqual(before);
  });

  it('given a release flow instance, when a process designer cancels it here, then it is refused naming the release endpoint; an administrator may, and the release follows', async () => {
    const release = await driver.file('standard');

    const byDesigner = await driver.call(
      'POST',
      `/api/process-instances/${release.instanceId}/cancel`,
      { reason: 'stuck' },
      'process-designer',
    );
    expect(byDesigner.status).toBe(403);
    expect(byDesigner.body.message).toMatch(/POST \/api\/releases\/:id\/cancel/);
    expect((await driver.release(release.id)).status).toBe('in-progress');

    const byAdmin = await driver.call(
      'POST',
      `/api/process-instances/${release.instanceId}/cancel`,
      { reason: 'stuck' },
      'admin',
    );
    expect(byAdmin.status).toBe(200);
    expect((await driver.release(release.id)).status).toBe('cancelled');
  });
});
