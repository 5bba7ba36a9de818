import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';
import { ReleaseDriver } from '../support/release-driver';

/**
 * zeebe:ioMapping on a job and a user task: input mappings make the job's local variables (it sees them, the
 * process does not), output mappings decide what comes back (nested targets extend a context), across a restart
 * of the service. No workers run: the job is reported by hand, as an external worker would.
 */
describe('input and output mappings', () => {
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures'),
      jobTypes: ['test.fetch', 'test.collect'],
      workers: false,
    });
  });
  afterAll(() => s.close());

  const instances = () => s.instances();
  const variables = (id: string) => s.row(id);

  it('given a change to fetch, when the job reports across a restart and the manager confirms, then only the mapped values reach the process, nested where the targets say', async () => {
    const instance = await instances().start('change-record', { change: { id: 'CHG-7' } });
    const job = (await s.pendingJob(instance.id, 'fetch'))!;
    const seen = await s.jobVariables(job);
    expect(seen).toMatchObject({
      changeId: 'CHG-7',
      target: { environment: 'production' },
      change: { id: 'CHG-7' },
    });
    expect((await variables(instance.id)).variables).not.toHaveProperty('changeId');

    await s.restart();
    await instances().completeJob(job, { result: { version: '2.4.1', ok: true }, noise: 1 });

    const afterJob = (await variables(instance.id)).variables;
    expect(afterJob).toMatchObject({ release: { version: '2.4.1' }, fetched: true });
    for (const local of ['changeId', 'target', 'result', 'noise']) expect(afterJob).not.toHaveProperty(local);

    await s.completeTask(instance.id, 'confirm', { decision: 'go' });

    const done = await variables(instance.id);
    expect(done.status).toBe('completed');
    expect(done.variables).toMatchObject({ release: { version: '2.4.1', decision: 'go' } });
    expect(done.variables).not.toHaveProperty('decision');
  });

  const pendingJob = async (id: string, elementId: string) => (await s.pendingJob(id, elementId))!;
  const waits = async (id: string) =>
    (
      await s.t.dataSource.query<
        Array<{ waits: Array<{ elementId: string; variables?: Record<string, unknown> }> }>
      >('SELECT waits FROM process_instance WHERE id = $1', [id])
    )[0]!.waits;

  it('given a review sub-process with a local scope, when its message is correlated by the local change id across a restart and the decision sets a local variable, then only the output mappings reach the process', async () => {
    const instance = await instances().start('change-review', { change: { id: 'CHG-31' } });
    const collect = await pendingJob(instance.id, 'collect');
    expect(await s.jobVariables(collect)).toMatchObject({
      changeId: 'CHG-31',
      rounds: 0,
    });
    expect((await variables(instance.id)).variables).toEqual({ change: { id: 'CHG-31' } });
    await instances().completeJob(collect, { material: 'runbook' });
    expect((await waits(instance.id)).map((w) => w.elementId).sort()).toEqual(['acknowledged', 'review']);

    await s.restart();
    const publish = (correlationKey: string) =>
      ReleaseDriver.forApp(s.t).call(
        'POST',
        '/api/messages/publish',
        { name: 'change-acknowledged', correlationKey, variables: { by: 'cms', noise: 1 } },
        'project-manager',
      );
    // The key is the sub-process's local change id: a process variable of that name does not exist.
    expect((await publish('CHG-99')).body).toMatchObject({ correlatedTo: null });
    expect((await publish('CHG-31')).body).toMatchObject({ correlatedTo: { instanceId: instance.id } });
    const afterMessage = (await variables(instance.id)).variables;
    expect(afterMessage).toMatchObject({ material: 'runbook', acknowledgedBy: 'cms' });
    expect(afterMessage).not.toHaveProperty('by');
    expect(afterMessage).not.toHaveProperty('noise');

    await s.completeTask(instance.id, 'decide', { verdict: 'approve', rounds: 1 });

    const done = await variables(instance.id);
    expect(done.status).toBe('completed');
    expect(done.variables).toEqual({
      change: { id: 'CHG-31' },
      material: 'runbook',
      acknowledgedBy: 'cms',
      verdict: 'approve',
      review: { changeId: 'CHG-31', rounds: 1, verdict: 'approve' },
    });
    const history = await s.t.dataSource.query<Array<{ element_id: string }>>(
      `SELECT element_id FROM history_event WHERE instance_id = $1 AND element_id = 'review-done'`,
      [instance.id],
    );
    expect(history.length).toBeGreaterThan(0);
  });
});
