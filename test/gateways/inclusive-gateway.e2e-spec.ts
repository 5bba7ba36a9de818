import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * A change whose checks depend on it: an inclusive gateway forks into the checks whose FEEL condition holds (the
 * default one when none does) and joins them before the approval, across a restart of the service. No workers
 * run: the check jobs are reported by hand, as an external worker would.
 */
describe('inclusive gateways', () => {
  const env = { PROCESSES_DIR: join(__dirname, 'fixtures'), RUN_WORKERS: 'false' };
  const handlers = ['test.schema-check', 'test.standard-check'].map((jobType) => ({
    jobType,
    handle: async () => ({}),
  }));
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env, undefined, handlers);
  });
  afterAll(() => t.close());

  const instances = () => t.get<InstanceService>(InstanceService);
  const waits = async (instanceId: string) =>
    (
      await t.dataSource.query<Array<{ waits: Array<{ elementId: string }> }>>(
        'SELECT waits FROM process_instance WHERE id = $1',
        [instanceId],
      )
    )[0]!.waits
      .map((w) => w.elementId)
      .sort();
  const pendingJob = async (instanceId: string, elementId: string) => {
    const [job] = await t.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM job WHERE instance_id = $1 AND element_id = $2 AND status = 'pending'`,
      [instanceId, elementId],
    );
    if (!job) throw new Error(`no pending job at ${elementId}`);
    return job.id;
  };
  const openTask = async (instanceId: string, elementId: string) => {
    const [task] = await t.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM user_task WHERE instance_id = $1 AND element_id = $2 AND status = 'open'`,
      [instanceId, elementId],
    );
    if (!task) throw new Error(`no open task at ${elementId}`);
    return task.id;
  };

  it('given a high-risk change with a schema change, when two of three checks are taken and the service restarts between them, then the approval opens once both are done', async () => {
    const instance = await instances().start('change-checks', { risk: 'high', schemaChange: true });
    expect(await waits(instance.id)).toEqual(['schema-check', 'security-review']);

    await instances().completeJob(await pendingJob(instance.id, 'schema-check'));
    expect(await waits(instance.id)).toEqual(['security-review']);
    await t.stop();
    t = await startTestApp(env, t.resources, handlers);
    await t
      .as('network-engineer')
      .post(`/api/tasks/${await openTask(instance.id, 'security-review')}/complete`)
      .send({ data: { secure: true } })
      .expect(200);

    expect(await waits(instance.id)).toEqual(['approve']);
    const joined = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM history_event WHERE instance_id = $1 AND element_id = 'join' AND type = 'activity.end'`,
      [instance.id],
    );
    expect(joined[0].n).toBe(1);
  });

  it('given a low-risk change, when no condition holds, then the default check alone runs and is joined', async () => {
    const instance = await instances().start('change-checks', { risk: 'low', schemaChange: false });
    expect(await waits(instance.id)).toEqual(['standard-check']);

    await instances().completeJob(await pendingJob(instance.id, 'standard-check'));

    expect(await waits(instance.id)).toEqual(['approve']);
  });
});
