import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';

/**
 * A change whose checks depend on it: an inclusive gateway forks into the checks whose FEEL condition holds (the
 * default one when none does) and joins them before the approval, across a restart of the service. No workers
 * run: the check jobs are reported by hand, as an external worker would.
 */
describe('inclusive gateways', () => {
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures'),
      jobTypes: ['test.schema-check', 'test.standard-check'],
      workers: false,
    });
  });
  afterAll(() => s.close());

  it('given a high-risk change with a schema change, when two of three checks are taken and the service restarts between them, then the approval opens once both are done', async () => {
    const instance = await s.instances().start('change-checks', { risk: 'high', schemaChange: true });
    expect(await s.waitingAt(instance.id)).toEqual(['schema-check', 'security-review']);

    await s.completeJob(instance.id, 'schema-check');
    expect(await s.waitingAt(instance.id)).toEqual(['security-review']);
    await s.restart();
    await s.completeTask(instance.id, 'security-review', { secure: true }, 'network-engineer');

    expect(await s.waitingAt(instance.id)).toEqual(['approve']);
    const joined = await s.t.dataSource.query(
      `SELECT count(*)::int AS n FROM history_event WHERE instance_id = $1 AND element_id = 'join' AND type = 'activity.end'`,
      [instance.id],
    );
    expect(joined[0].n).toBe(1);
  });

  it('given a low-risk change, when no condition holds, then the default check alone runs and is joined', async () => {
    const instance = await s.instances().start('change-checks', { risk: 'low', schemaChange: false });
    expect(await s.waitingAt(instance.id)).toEqual(['standard-check']);

    await s.completeJob(instance.id, 'standard-check');

    expect(await s.waitingAt(instance.id)).toEqual(['approve']);
  });
});
