import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { startTestApp, type TestApp } from '../support/test-app';
import { newTestResources } from '../support/test-env';

/**
 * Escalations (Camunda 8): one thrown in the preparation reaches its non-interrupting boundary, which tells the
 * manager while the preparation goes on; one nothing catches passes on (no incident); one caught by a
 * non-interrupting event sub-process opens a watch beside the go-live; an escalation end event caught by an
 * interrupting one withdraws everything else and rolls back. The service restarts while they wait. No workers
 * run: the jobs are reported by hand.
 */
describe('escalation events', () => {
  const env = { PROCESSES_DIR: join(__dirname, 'fixtures', 'escalations'), RUN_WORKERS: 'false' };
  const handlers = ['test.tell-manager', 'test.open-watch', 'test.roll-back'].map((jobType) => ({
    jobType,
    handle: async () => ({}),
  }));
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
  const instances = () => t.get<InstanceService>(InstanceService);
  const row = async (id: string) =>
    (
      await t.dataSource.query<Array<{ status: string; waits: Array<{ elementId: string }> }>>(
        'SELECT status, waits FROM process_instance WHERE id = $1',
        [id],
      )
    )[0]!;
  const waitingAt = async (id: string) => (await row(id)).waits.map((w) => w.elementId).sort();
  const pendingJob = async (id: string, elementId: string) =>
    (
      await t.dataSource.query<Array<{ id: string }>>(
        `SELECT id FROM job WHERE instance_id = $1 AND element_id = $2 AND status = 'pending'`,
        [id, elementId],
      )
    )[0]?.id;
  const completeTask = async (id: string, elementId: string, data: Record<string, unknown> = {}) => {
    const [task] = await t.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM user_task WHERE instance_id = $1 AND element_id = $2 AND status = 'open'`,
      [id, elementId],
    );
    await t.as('project-manager').post(`/api/tasks/${task!.id}/complete`).send({ data }).expect(200);
  };

  it('given a late preparation, when escalations are thrown across restarts, then the boundary tells the manager beside it, an unheard one passes on, and the watch runs beside the go-live until all end', async () => {
    const instance = await instances().start('release-escalations', {});
    expect(await waitingAt(instance.id)).toEqual(['finish-prep', 'prepare', 'tell-manager']);
    await restart();

    await completeTask(instance.id, 'finish-prep');

    expect(await waitingAt(instance.id)).toEqual(['go-live', 'open-watch', 'tell-manager', 'watch']);
    const incidents = await t.dataSource.query('SELECT 1 FROM incident WHERE instance_id = $1', [
      instance.id,
    ]);
    expect(incidents).toHaveLength(0);
    await restart();
    await completeTask(instance.id, 'go-live', { abort: false });
    expect(await waitingAt(instance.id)).toEqual(['open-watch', 'tell-manager', 'watch']);
    await instances().completeJob((await pendingJob(instance.id, 'open-watch'))!, {});
    await instances().completeJob((await pendingJob(instance.id, 'tell-manager'))!, {});
    expect((await row(instance.id)).status).toBe('completed');
  });

  it('given an aborted go-live, when its escalation end event is thrown, then the interrupting event sub-process withdraws the watch and the manager notice and rolls back', async () => {
    const instance = await instances().start('release-escalations', {});
    await completeTask(instance.id, 'finish-prep');
    await restart();

    await completeTask(instance.id, 'go-live', { abort: true });

    expect(await waitingAt(instance.id)).toEqual(['aborted', 'roll-back']);
    expect(await pendingJob(instance.id, 'open-watch')).toBeUndefined();
    expect(await pendingJob(instance.id, 'tell-manager')).toBeUndefined();
    await instances().completeJob((await pendingJob(instance.id, 'roll-back'))!, {});
    expect((await row(instance.id)).status).toBe('completed');
  });
});
