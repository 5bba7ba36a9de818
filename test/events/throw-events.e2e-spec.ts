import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import type { JobContext } from '../../src/queue/job-handler.port';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';

/**
 * Throw and end events (Camunda 8): a signal throw event broadcasts its signal to every instance waiting for it,
 * through a built-in job written with the state that reached it; a message end event is a job, worked like a
 * service task. Both survive a restart of the service while their job waits.
 */
describe('signal throw and message end events', () => {
  const reported: string[] = [];
  const handlers = [
    // The other scenarios' job types in the fixtures folder (deployed on start, each needs a handler).
    ...['test.install', 'test.note', 'test.rollback', 'test.remind'].map((jobType) => ({
      jobType,
      handle: async () => ({}),
    })),
    {
      jobType: 'test.report-closed',
      handle: async (context: JobContext) => {
        reported.push(context.instanceId);
        return { variables: { reportedTo: 'change-system' } };
      },
    },
  ];
  const env = { PROCESSES_DIR: join(__dirname, 'fixtures') };
  let t: TestApp;

  beforeAll(async () => {
    // No workers at first: the jobs wait, as they do when the service stops before they run.
    t = await startTestApp({ ...env, RUN_WORKERS: 'false' }, undefined, handlers);
  });
  afterAll(() => t.close());

  const instances = () => t.get<InstanceService>(InstanceService);
  const row = async (id: string) =>
    (
      await t.dataSource.query<
        Array<{
          status: string;
          variables: Record<string, unknown>;
          waits: Array<{ elementId: string; kind: string }>;
        }>
      >('SELECT status, variables, waits FROM process_instance WHERE id = $1', [id])
    )[0]!;
  const jobsOf = async (id: string) =>
    t.dataSource.query<
      Array<{ element_id: string; job_type: string; status: string; headers: Record<string, string> }>
    >('SELECT element_id, job_type, status, headers FROM job WHERE instance_id = $1 ORDER BY created_at', [
      id,
    ]);

  it('given a watcher waiting for the release freeze and a change closing, when the service restarts with workers, then the freeze reaches the watcher, the close is reported as a job and both end', async () => {
    const watcher = await instances().start('release-freeze-watch', {});
    const closing = await instances().start('close-change', { changeId: 'CHG-7' });
    expect((await row(closing.id)).waits.map((w) => `${w.elementId}:${w.kind}`)).toEqual([
      'freeze:service-task',
    ]);
    expect(await jobsOf(closing.id)).toEqual([
      {
        element_id: 'freeze',
        job_type: 'signal.broadcast',
        status: 'pending',
        headers: { signalName: 'release-freeze' },
      },
    ]);
    expect((await row(watcher.id)).status).toBe('running');

    await t.stop();
    t = await startTestApp(env, t.resources, handlers);

    const closed = await eventually(async () => {
      const now = await row(closing.id);
      return now.status === 'completed' ? now : undefined;
    });
    expect(closed.variables).toMatchObject({ changeId: 'CHG-7', reportedTo: 'change-system' });
    expect(reported).toEqual([closing.id]);
    expect((await jobsOf(closing.id)).map((j) => [j.element_id, j.job_type, j.status])).toEqual([
      ['freeze', 'signal.broadcast', 'completed'],
      ['report-closed', 'test.report-closed', 'completed'],
    ]);
    const watched = await eventually(async () => {
      const now = await row(watcher.id);
      return now.status === 'completed' ? now : undefined;
    });
    expect(watched.status).toBe('completed');
    const [received] = await t.dataSource.query<Array<{ data: { name: string } }>>(
      `SELECT data FROM history_event WHERE instance_id = $1 AND type = 'signal.received'`,
      [watcher.id],
    );
    expect(received?.data.name).toBe('release-freeze');
  });
});
