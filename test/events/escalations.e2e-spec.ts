import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';

/**
 * Escalations (Camunda 8): one thrown in the preparation reaches its non-interrupting boundary, which tells the
 * manager while the preparation goes on; one nothing catches passes on (no incident); one caught by a
 * non-interrupting event sub-process opens a watch beside the go-live; an escalation end event caught by an
 * interrupting one withdraws everything else and rolls back. The service restarts while they wait. No workers
 * run: the jobs are reported by hand.
 */
describe('escalation events', () => {
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures', 'escalations'),
      jobTypes: ['test.tell-manager', 'test.open-watch', 'test.roll-back'],
      workers: false,
    });
  });
  afterAll(() => s.close());

  it('given a late preparation, when escalations are thrown across restarts, then the boundary tells the manager beside it, an unheard one passes on, and the watch runs beside the go-live until all end', async () => {
    const instance = await s.instances().start('release-escalations', {});
    expect(await s.waitingAt(instance.id)).toEqual(['finish-prep', 'prepare', 'tell-manager']);
    await s.restart();

    await s.completeTask(instance.id, 'finish-prep');

    expect(await s.waitingAt(instance.id)).toEqual(['go-live', 'open-watch', 'tell-manager', 'watch']);
    const incidents = await s.t.dataSource.query('SELECT 1 FROM incident WHERE instance_id = $1', [
      instance.id,
    ]);
    expect(incidents).toHaveLength(0);
    await s.restart();
    await s.completeTask(instance.id, 'go-live', { abort: false });
    expect(await s.waitingAt(instance.id)).toEqual(['open-watch', 'tell-manager', 'watch']);
    await s.instances().completeJob((await s.pendingJob(instance.id, 'open-watch'))!, {});
    await s.instances().completeJob((await s.pendingJob(instance.id, 'tell-manager'))!, {});
    expect((await s.row(instance.id)).status).toBe('completed');
  });

  it('given an aborted go-live, when its escalation end event is thrown, then the interrupting event sub-process withdraws the watch and the manager notice and rolls back', async () => {
    const instance = await s.instances().start('release-escalations', {});
    await s.completeTask(instance.id, 'finish-prep');
    await s.restart();

    await s.completeTask(instance.id, 'go-live', { abort: true });

    expect(await s.waitingAt(instance.id)).toEqual(['aborted', 'roll-back']);
    expect(await s.pendingJob(instance.id, 'open-watch')).toBeUndefined();
    expect(await s.pendingJob(instance.id, 'tell-manager')).toBeUndefined();
    await s.instances().completeJob((await s.pendingJob(instance.id, 'roll-back'))!, {});
    expect((await s.row(instance.id)).status).toBe('completed');
  });
});
