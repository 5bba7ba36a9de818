import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { EngineScenario } from '../support/engine-scenario';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';

/**
 * Error end events inside a sub-process that no boundary catches (Camunda 8): the error event sub-process naming
 * the code takes over and interrupts the rest; an error nothing catches stops the step that threw it, naming its
 * code, and when a job's completion threw it, the job becomes an incident.
 */
describe('error end events caught by an event sub-process', () => {
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures', 'error-end-events'),
      jobTypes: ['test.check'],
      workers: false,
    });
  });
  afterAll(() => s.close());

  it('given a deployment whose check fails, when the sub-process reaches its error end event across restarts, then the error event sub-process withdraws the deployment and its rollback waits for confirmation', async () => {
    const instance = await s.instances().start('verify-with-rollback', {});
    const check = (await s.pendingJob(instance.id, 'check'))!;
    await s.restart();

    await s.instances().completeJob(check, { verification: 'fail' });

    expect(await s.waitingAt(instance.id)).toEqual(['confirm-rollback', 'on-verify-failed']);
    const ended = await s.t.dataSource.query<Array<{ element_id: string }>>(
      `SELECT DISTINCT element_id FROM history_event WHERE instance_id = $1 AND element_id IN ('verify-failed-end', 'deployed', 'done')`,
      [instance.id],
    );
    expect(ended.map((e) => e.element_id)).toEqual(['verify-failed-end']);
    await s.restart();
    await s.completeTask(instance.id, 'confirm-rollback');
    expect((await s.row(instance.id)).status).toBe('completed');
  });

  it('given a check that passes, when the sub-process ends normally, then no event sub-process runs and the instance ends deployed', async () => {
    const instance = await s.instances().start('verify-with-rollback', {});

    await s.instances().completeJob((await s.pendingJob(instance.id, 'check'))!, { verification: 'pass' });

    expect((await s.row(instance.id)).status).toBe('completed');
    const rollbacks = await s.t.dataSource.query(
      `SELECT 1 FROM user_task WHERE instance_id = $1 AND element_id = 'confirm-rollback'`,
      [instance.id],
    );
    expect(rollbacks).toHaveLength(0);
  });

  it('given an error code nothing catches, when the check reports the result that throws it, then the report is refused naming the code and the instance still waits at the check', async () => {
    const instance = await s.instances().start('verify-with-rollback', {});
    const check = (await s.pendingJob(instance.id, 'check'))!;

    await expect(s.instances().completeJob(check, { verification: 'broken' })).rejects.toThrow(
      /error end event "检查异常 \(check broken\)" \(check-broken-end\) threw the error "CHECK_BROKEN", which no boundary or event sub-process catches/,
    );

    expect(await s.waitingAt(instance.id)).toEqual(['check', 'deploy']);
    expect(await s.pendingJob(instance.id, 'check')).toBe(check);
  });
});

describe('an error end event nothing catches, reached by a worker', () => {
  let t: TestApp;
  const handlers = [
    { jobType: 'test.check', handle: async () => ({ variables: { verification: 'broken' } }) },
  ];

  beforeAll(async () => {
    t = await startTestApp(
      { PROCESSES_DIR: join(__dirname, 'fixtures', 'error-end-events') },
      undefined,
      handlers,
    );
  });
  afterAll(() => t.close());

  it('given a worker whose check result leads to an uncaught error end event, when its retries are spent, then an incident names the error code and the instance waits', async () => {
    const instance = await t.get<InstanceService>(InstanceService).start('verify-with-rollback', {});

    const incident = await eventually(
      async () =>
        (
          await t.dataSource.query<Array<{ element_id: string; error: string }>>(
            `SELECT element_id, error FROM incident WHERE instance_id = $1 AND status = 'open'`,
            [instance.id],
          )
        )[0],
      { what: 'an incident' },
    );

    expect(incident.element_id).toBe('check');
    expect(incident.error).toMatch(/CHECK_BROKEN/);
    const [state] = await t.dataSource.query<Array<{ status: string }>>(
      'SELECT status FROM process_instance WHERE id = $1',
      [instance.id],
    );
    expect(state!.status).toBe('running');
  });
});
