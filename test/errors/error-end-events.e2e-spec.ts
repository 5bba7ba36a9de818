import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { EngineScenario } from '../support/engine-scenario';
import { ReleaseDriver, type InstanceView } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';

/** The fixtures' flows, with no workers running: the scenarios report the jobs by hand. */
const SCENARIO = {
  processesDir: join(__dirname, 'fixtures', 'error-end-events'),
  jobTypes: ['test.check'],
  workers: false,
} as const;

/**
 * Error end events inside a sub-process that no boundary catches (Camunda 8): the error event sub-process naming
 * the code takes over and interrupts the rest.
 */
describe('error end events caught by an event sub-process', () => {
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start(SCENARIO);
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
});

/**
 * An error end event whose error nothing catches (Camunda 8): the completion that reached it is taken, and the
 * instance waits at the end event with an UNHANDLED_ERROR_EVENT incident naming the code. Resolving it throws the
 * error again (nothing catches it still: a new incident); cancelling the instance resolves it with its element. An
 * error an outer boundary catches leaves the sub-process as before. No workers run: the jobs are reported by hand.
 */
describe('an error end event nothing catches', () => {
  let s: EngineScenario;
  const driver = () => ReleaseDriver.forApp(s.t);

  beforeAll(async () => {
    s = await EngineScenario.start(SCENARIO);
  });
  afterAll(() => s.close());

  const view = (id: string) => driver().get<InstanceView>(`/api/process-instances/${id}`);
  const openIncidents = async (id: string) => (await view(id)).incidents.filter((i) => i.status === 'open');
  /** The one open incident of the instance, at the check's uncaught error end event. */
  const brokenCheckIncident = async (id: string) => {
    const open = await openIncidents(id);
    expect(open).toEqual([
      expect.objectContaining({
        elementId: 'check-broken-end',
        errorType: 'UNHANDLED_ERROR_EVENT',
        jobId: null,
        error: expect.stringMatching(/\(check-broken-end\) threw the error "CHECK_BROKEN"/),
      }),
    ]);
    return open[0]!;
  };

  it('given a check whose result leads to an error nothing catches, when its job is reported on the live engine, then the report is taken and the instance waits at the end event with an incident; resolving it raises it again, cancelling resolves it', async () => {
    const instance = await s.instances().start('verify-with-rollback', {});

    await s.completeJob(instance.id, 'check', { verification: 'broken' });

    expect(await s.completedJobs(instance.id, 'check')).toBe(1);
    expect((await s.row(instance.id)).status).toBe('running');
    expect(await s.waitKinds(instance.id)).toContain('check-broken-end:incident');
    expect(await s.waitingAt(instance.id)).toEqual(['check-broken-end', 'deploy']);
    const first = await brokenCheckIncident(instance.id);
    const listed = await s.v2Incident(first.id, 'verify-with-rollback');
    expect(listed).toMatchObject({
      elementId: 'check-broken-end',
      errorType: 'UNHANDLED_ERROR_EVENT',
      state: 'ACTIVE',
    });
    expect(listed!.jobKey).toBeUndefined();

    const resolved = await driver().call(
      'POST',
      `/api/incidents/${first.id}/resolve`,
      { comment: 'tried again' },
      'admin',
    );

    expect(resolved.status).toBe(200);
    const again = await brokenCheckIncident(instance.id);
    expect(again.id).not.toBe(first.id);
    expect(await s.waitingAt(instance.id)).toEqual(['check-broken-end', 'deploy']);

    const cancelled = await driver().call('POST', `/api/process-instances/${instance.id}/cancel`, {
      reason: 'deployment abandoned',
    });

    expect(cancelled.status).toBe(200);
    expect(await openIncidents(instance.id)).toEqual([]);
    expect(await s.v2Incident(again.id, 'verify-with-rollback')).toMatchObject({ state: 'RESOLVED' });
  });

  it('given a check reported after a restart into an error nothing catches, when the service restarts again and the incident is resolved over /v2, then the end event is resumed from the stored state and raises it again', async () => {
    const instance = await s.instances().start('verify-with-rollback', {});
    await s.restart();

    await s.completeJob(instance.id, 'check', { verification: 'broken' });

    const first = await brokenCheckIncident(instance.id);
    await s.restart();
    expect((await s.row(instance.id)).status).toBe('running');
    expect(await s.waitingAt(instance.id)).toEqual(['check-broken-end', 'deploy']);
    const listed = await s.v2Incident(first.id, 'verify-with-rollback');

    const res = await driver().call('POST', `/v2/incidents/${listed!.incidentKey}/resolution`, {}, 'admin');

    expect(res.status).toBe(204);
    const again = await brokenCheckIncident(instance.id);
    expect(again.id).not.toBe(first.id);
    expect(await s.waitingAt(instance.id)).toEqual(['check-broken-end', 'deploy']);
  });

  it('given a change under review, when the review is completed with a decision that reaches an error nothing catches, then the completion is taken and the instance waits at the end event with an incident naming the code', async () => {
    const instance = await s.instances().start('abort-change', {});

    await s.completeTask(instance.id, 'review', { decision: 'abort' });

    expect((await s.row(instance.id)).status).toBe('running');
    expect(await s.waitKinds(instance.id)).toEqual(['aborted-end:incident']);
    expect(await openIncidents(instance.id)).toEqual([
      expect.objectContaining({
        elementId: 'aborted-end',
        errorType: 'UNHANDLED_ERROR_EVENT',
        error: expect.stringContaining('"CHANGE_ABORTED"'),
      }),
    ]);
    const tasks = await s.t.dataSource.query<Array<{ status: string }>>(
      `SELECT status FROM user_task WHERE instance_id = $1 AND element_id = 'review'`,
      [instance.id],
    );
    expect(tasks.map((t) => t.status)).toEqual(['completed']);
  });

  it('given an error end event inside a sub-process whose error a boundary on the sub-process catches, when the check reaches it, then the boundary takes it without an incident and the repair waits', async () => {
    const instance = await s.instances().start('verify-with-repair', {});

    await s.completeJob(instance.id, 'check', { verification: 'broken' });

    expect(await s.waitingAt(instance.id)).toEqual(['repair']);
    expect(await openIncidents(instance.id)).toEqual([]);
    expect(await s.history(instance.id)).toEqual(
      expect.arrayContaining(['activity.start:check-broken-end', 'activity.end:on-check-broken']),
    );
    await s.completeTask(instance.id, 'repair');
    expect((await s.row(instance.id)).status).toBe('completed');
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

  it('given a worker whose check result leads to an uncaught error end event, when it reports, then its job is completed and an incident at the end event names the error code while the instance waits', async () => {
    const instance = await t.get<InstanceService>(InstanceService).start('verify-with-rollback', {});

    const incident = await eventually(
      async () =>
        (
          await t.dataSource.query<
            Array<{ element_id: string; error: string; error_type: string; job_id: string | null }>
          >(
            `SELECT element_id, error, error_type, job_id FROM incident WHERE instance_id = $1 AND status = 'open'`,
            [instance.id],
          )
        )[0],
      { what: 'an incident' },
    );

    expect(incident).toMatchObject({
      element_id: 'check-broken-end',
      error_type: 'UNHANDLED_ERROR_EVENT',
      job_id: null,
    });
    expect(incident.error).toMatch(/CHECK_BROKEN/);
    const jobs = await t.dataSource.query<Array<{ status: string }>>(
      `SELECT status FROM job WHERE instance_id = $1 AND element_id = 'check'`,
      [instance.id],
    );
    expect(jobs.map((j) => j.status)).toEqual(['completed']);
    const [state] = await t.dataSource.query<Array<{ status: string }>>(
      'SELECT status FROM process_instance WHERE id = $1',
      [instance.id],
    );
    expect(state!.status).toBe('running');
  });
});
