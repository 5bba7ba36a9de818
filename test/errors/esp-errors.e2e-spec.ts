import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';

/**
 * An error thrown inside a running event sub-process goes outward (Camunda 8): the rollback an error event
 * sub-process runs fails in turn, and that error is not caught where the rollback runs but by the error boundary on
 * the sub-process around it; at the top level, with no catch outside, it is an incident at the rollback and the
 * instance waits. The service stops at each wait and a new one boots on the same database. No workers run: the jobs
 * are reported by hand. Fixtures: fixtures/esp-errors/.
 */
describe('errors thrown inside a running event sub-process', () => {
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures', 'esp-errors'),
      jobTypes: ['test.deploy', 'test.rollback', 'test.repair'],
      workers: false,
    });
  });
  afterAll(() => s.close());

  const instances = () => s.instances();
  const tasks = async (instanceId: string) =>
    (await s.row(instanceId)).waits
      .filter((w) => w.kind === 'service-task')
      .map((w) => w.elementId)
      .sort();
  const pendingJob = async (instanceId: string, elementId: string) => {
    const job = await s.pendingJob(instanceId, elementId);
    if (!job) throw new Error(`no pending job at ${elementId}`);
    return job;
  };
  const throwAt = async (instanceId: string, elementId: string, errorCode: string) =>
    instances().throwJobError(await pendingJob(instanceId, elementId), errorCode, errorCode.toLowerCase());
  const openIncidents = (instanceId: string) =>
    s.t.dataSource.query<Array<{ element_id: string; error: string; error_type: string }>>(
      `SELECT element_id, error, error_type FROM incident WHERE instance_id = $1 AND status = 'open'`,
      [instanceId],
    );

  it('given a sub-process rolling back after its deploy failed, when the rollback job throws across restarts, then the error boundary on the sub-process takes it, not the catch-all beside the rollback, and the repair runs', async () => {
    const instance = await instances().start('esp-error-outward', {});
    expect(await throwAt(instance.id, 'deploy', 'DEPLOY_FAILED')).toBe('caught');
    expect(await tasks(instance.id)).toEqual(['rollback']);
    await s.restart();

    expect(await throwAt(instance.id, 'rollback', 'ROLLBACK_FAILED')).toBe('caught');

    expect(await tasks(instance.id)).toEqual(['repair']);
    const history = await s.history(instance.id);
    expect(history).toContain('activity.end:rollback-failed');
    expect(history).not.toContain('activity.end:any-error-end');
    expect(await openIncidents(instance.id)).toEqual([]);
    await s.restart();
    await s.completeJob(instance.id, 'repair');
    expect((await s.row(instance.id)).status).toBe('completed');
  });

  it('given a sub-process rolling back after its deploy failed, when the rollback reports it did not roll back after a restart, then its error end event leaves the sub-process by the boundary and the repair runs', async () => {
    const instance = await instances().start('esp-error-outward', {});
    await throwAt(instance.id, 'deploy', 'DEPLOY_FAILED');
    await s.restart();

    await s.completeJob(instance.id, 'rollback', { rolledBack: false });

    expect(await tasks(instance.id)).toEqual(['repair']);
    await s.completeJob(instance.id, 'repair');
    expect((await s.row(instance.id)).status).toBe('completed');
  });

  it('given a top-level rollback after the deploy failed, when the rollback job throws and nothing outside catches it, then an incident names the code at the rollback and the instance waits there, across a restart', async () => {
    const instance = await instances().start('esp-error-top-level', {});
    expect(await throwAt(instance.id, 'deploy', 'DEPLOY_FAILED')).toBe('caught');
    expect(await tasks(instance.id)).toEqual(['rollback']);

    expect(await throwAt(instance.id, 'rollback', 'ROLLBACK_FAILED')).toBe('incident');

    const [incident] = await openIncidents(instance.id);
    expect(incident).toMatchObject({ element_id: 'rollback', error_type: 'UNHANDLED_ERROR_EVENT' });
    expect(incident!.error).toMatch(/ROLLBACK_FAILED/);
    await s.restart();
    expect((await s.row(instance.id)).status).toBe('running');
    expect(await tasks(instance.id)).toEqual(['rollback']);
  });
});
