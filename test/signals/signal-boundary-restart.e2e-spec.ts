import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';
import { ReleaseDriver } from '../support/release-driver';

/**
 * A non-interrupting signal boundary event stays open while its activity runs (Camunda 8): each broadcast starts
 * its path beside the activity, and a restart between two broadcasts loses neither the subscription nor either path.
 * Unlike Camunda 8, the engine runs one execution of an activity at a time, so the second path's report waits (in
 * the stored state) until the first is done. No workers run: jobs are reported by hand.
 */
describe('a non-interrupting signal boundary across a restart', () => {
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures', 'repeating'),
      jobTypes: ['test.install', 'test.report'],
      workers: false,
    });
  });
  afterAll(() => s.close());

  const restart = () => s.restart();
  const broadcast = () =>
    ReleaseDriver.forApp(s.t).call(
      'POST',
      '/api/signals/broadcast',
      { name: 'status-request' },
      'project-manager',
    );
  const waitingAt = (id: string) => s.waitingAt(id);
  const pendingJobs = (id: string, elementId: string) => s.pendingJobs(id, elementId);
  const subscriptions = async (id: string) =>
    (
      await s.t.dataSource.query<Array<{ element_id: string }>>(
        'SELECT element_id FROM signal_subscription WHERE instance_id = $1',
        [id],
      )
    ).map((sub) => sub.element_id);
  const ended = async (id: string, elementId: string) =>
    (
      await s.t.dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM history_event WHERE instance_id = $1 AND type = 'activity.end' AND element_id = $2`,
        [id, elementId],
      )
    )[0]!.n;

  it('given an install answering status requests, when the request is broadcast, the service restarts and it is broadcast again, then two reports run beside the install, one after the other, the subscription stays until the install ends, and both paths and the install complete', async () => {
    const instance = await s.instances().start('install-with-status-requests', {});
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

    await s.instances().completeJob(firstReport!);
    const [secondReport] = await pendingJobs(instance.id, 'report-status');
    expect(secondReport).toBeDefined();
    expect(secondReport).not.toBe(firstReport);
    await restart();
    await s.instances().completeJob(secondReport!);
    expect(await ended(instance.id, 'status-reported')).toBe(2);
    expect(await waitingAt(instance.id)).toEqual(['install', 'status-requested']);
    const [install] = await pendingJobs(instance.id, 'install');
    await s.instances().completeJob(install!);

    expect((await s.row(instance.id)).status).toBe('completed');
    expect(await subscriptions(instance.id)).toEqual([]);
    expect(await ended(instance.id, 'installed')).toBe(1);
  });
});
