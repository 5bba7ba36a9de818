import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { ReleaseDriver } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { newTestResources } from '../support/test-env';

/**
 * A non-interrupting signal boundary event stays open while its activity runs (Camunda 8): each broadcast starts
 * its path beside the activity, and a restart between two broadcasts loses neither the subscription nor either path.
 * Unlike Camunda 8, the engine runs one execution of an activity at a time, so the second path's report waits (in
 * the stored state) until the first is done. No workers run: jobs are reported by hand.
 */
describe('a non-interrupting signal boundary across a restart', () => {
  const env = { PROCESSES_DIR: join(__dirname, 'fixtures', 'repeating'), RUN_WORKERS: 'false' };
  const handlers = ['test.install', 'test.report'].map((jobType) => ({ jobType, handle: async () => ({}) }));
  const resources = newTestResources();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env, resources, handlers);
  });
  afterAll(() => t.close());

  const restart = async () => {
    await t.stop();
    t = await startTestApp(env, resources, handlers);
  };
  const broadcast = () =>
    ReleaseDriver.forApp(t).call(
      'POST',
      '/api/signals/broadcast',
      { name: 'status-request' },
      'project-manager',
    );
  const waitingAt = async (id: string) =>
    (
      await t.dataSource.query<Array<{ waits: Array<{ elementId: string }> }>>(
        'SELECT waits FROM process_instance WHERE id = $1',
        [id],
      )
    )[0]!.waits
      .map((w) => w.elementId)
      .sort();
  const pendingJobs = async (id: string, elementId: string) =>
    (
      await t.dataSource.query<Array<{ id: string }>>(
        `SELECT id FROM job WHERE instance_id = $1 AND element_id = $2 AND status = 'pending' ORDER BY created_at`,
        [id, elementId],
      )
    ).map((j) => j.id);
  const subscriptions = async (id: string) =>
    (
      await t.dataSource.query<Array<{ element_id: string }>>(
        'SELECT element_id FROM signal_subscription WHERE instance_id = $1',
        [id],
      )
    ).map((s) => s.element_id);
  const ended = async (id: string, elementId: string) =>
    (
      await t.dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM history_event WHERE instance_id = $1 AND type = 'activity.end' AND element_id = $2`,
        [id, elementId],
      )
    )[0]!.n;

  it('given an install answering status requests, when the request is broadcast, the service restarts and it is broadcast again, then two reports run beside the install, one after the other, the subscription stays until the install ends, and both paths and the install complete', async () => {
    const instance = await t.get<InstanceService>(InstanceService).start('install-with-status-requests', {});
    expect(await subscriptions(instance.id)).toEqual(['status-requested']);

    const first = await broadcast();
    expect(first.body.triggered).toEqual([{ instanceId: instance.id, elementId: 'status-requested' }]);
    expect(await waitingAt(instance.id)).toEqual(['install', 'report-status', 'status-requested']);
    await restart();

    const second = await broadcast();
    expect(second.body.triggered).toEqual([{ instanceId: instance.id, elementId: 'status-requested' }]);
    // The engine runs one execution of an activity at a time: the second report waits for the first, in the state.
    const [firstReport] = await pendingJobs(instance.id, 'report-status');
    expect(firstReport).toBeDefined();
    expect(await subscriptions(instance.id)).toEqual(['status-requested']);
    await restart();

    const instances = t.get<InstanceService>(InstanceService);
    await instances.completeJob(firstReport!);
    const [secondReport] = await pendingJobs(instance.id, 'report-status');
    expect(secondReport).toBeDefined();
    expect(secondReport).not.toBe(firstReport);
    await restart();
    await t.get<InstanceService>(InstanceService).completeJob(secondReport!);
    expect(await ended(instance.id, 'status-reported')).toBe(2);
    expect(await waitingAt(instance.id)).toEqual(['install', 'status-requested']);
    const [install] = await pendingJobs(instance.id, 'install');
    await t.get<InstanceService>(InstanceService).completeJob(install!);

    const [row] = await t.dataSource.query<Array<{ status: string }>>(
      'SELECT status FROM process_instance WHERE id = $1',
      [instance.id],
    );
    expect(row!.status).toBe('completed');
    expect(await subscriptions(instance.id)).toEqual([]);
    expect(await ended(instance.id, 'installed')).toBe(1);
  });
});
