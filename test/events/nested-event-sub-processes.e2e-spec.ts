import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';
import { ManualClock } from '../support/manual-clock';
import { ReleaseDriver } from '../support/release-driver';
import { eventually } from '../support/test-env';

/**
 * Event sub-processes inside an embedded sub-process (Camunda 8): they listen only while their sub-process runs; a
 * message one's correlation key is evaluated in the sub-process's scope; an error thrown inside is caught by the
 * sub-process's own error event sub-process first, and only what it does not catch goes out to the process's; an
 * interrupting one withdraws the sub-process's other work and the sub-process completes when it does. Their
 * subscriptions and timers are stored with the state: each scenario stops the service at a wait and boots a new one
 * on the same database. Fixture: fixtures/nested/nested-deploy.bpmn.
 */
const JOB_TYPES = [
  'test.install',
  'test.note',
  'test.rollback',
  'test.timeout',
  'test.cab',
  'test.verify',
  'test.rollback-all',
];
const processesDir = join(__dirname, 'fixtures', 'nested');

describe('event sub-processes inside a sub-process, jobs reported by hand', () => {
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({ processesDir, jobTypes: JOB_TYPES, workers: false });
  });
  afterAll(() => s.close());

  const restart = () => s.restart();
  const instances = () => s.instances();
  const driver = () => ReleaseDriver.forApp(s.t);
  const row = (id: string) => s.row(id);
  const waitingAt = (id: string) => s.waitKinds(id);
  const pendingJobs = (id: string, elementId: string) => s.pendingJobs(id, elementId);
  const completeJob = (id: string, elementId: string) => s.completeJob(id, elementId);
  const subscriptions = async (id: string) =>
    [
      ...(
        await s.t.dataSource.query<Array<{ s: string }>>(
          `SELECT message_name || '/' || correlation_key AS s FROM message_subscription WHERE instance_id = $1`,
          [id],
        )
      ).map((r) => r.s),
      ...(
        await s.t.dataSource.query<Array<{ s: string }>>(
          `SELECT signal_name AS s FROM signal_subscription WHERE instance_id = $1`,
          [id],
        )
      ).map((r) => r.s),
    ].sort();
  const history = (id: string) => s.history(id);
  const publish = (body: Record<string, unknown>) =>
    driver().call('POST', '/api/messages/publish', body, 'project-manager');
  const listening = [
    'deploy:other',
    'freeze-received:signal',
    'install:service-task',
    'note-received:message',
    'timed-out:timer',
  ];

  it('given a deploy whose sub-process listens for notes keyed by its own change variable, when notes arrive across restarts and the install then fails, then each note is recorded beside the install, the sub-process rolls back, stops listening, and the process goes on after it', async () => {
    const instance = await instances().start('nested-deploy', { changeId: 'CHG-7' });
    expect(await waitingAt(instance.id)).toEqual(listening);
    // The key comes from the sub-process's local "change", which the process itself does not have.
    expect(await subscriptions(instance.id)).toEqual(['deploy-freeze', 'deploy-note/CHG-7']);
    expect((await row(instance.id)).variables).toEqual({ changeId: 'CHG-7' });
    await restart();

    const note = await publish({
      name: 'deploy-note',
      correlationKey: 'CHG-7',
      variables: { note: '先通知用户' },
    });
    expect(note.body.correlatedTo).toEqual({ instanceId: instance.id, elementId: 'note-received' });
    expect(await waitingAt(instance.id)).toEqual([
      'deploy:other',
      'freeze-received:signal',
      'install:service-task',
      'on-note:other',
      'record-note:service-task',
      'timed-out:timer',
    ]);
    await restart();
    await completeJob(instance.id, 'record-note');
    expect(await waitingAt(instance.id)).toEqual(listening);
    const again = await publish({
      name: 'deploy-note',
      correlationKey: 'CHG-7',
      variables: { note: 'second' },
    });
    expect(again.body.correlatedTo).toEqual({ instanceId: instance.id, elementId: 'note-received' });
    await completeJob(instance.id, 'record-note');
    await restart();

    const [install] = await pendingJobs(instance.id, 'install');
    expect(await instances().throwJobError(install!, 'INSTALL_FAILED', 'disk full', { cause: 'disk' })).toBe(
      'caught',
    );
    // The deploy's own error event sub-process caught it (not the process's catch-all): only the rollback runs.
    expect(await waitingAt(instance.id)).toEqual([
      'deploy:other',
      'on-install-failed:other',
      'rollback:service-task',
    ]);
    expect(await subscriptions(instance.id)).toEqual([]);
    const timers = await s.t.dataSource.query<Array<{ status: string }>>(
      `SELECT status FROM job WHERE instance_id = $1 AND element_id = 'timed-out'`,
      [instance.id],
    );
    expect(timers.map((j) => j.status)).toEqual(['cancelled']);
    const late = await publish({ name: 'deploy-note', correlationKey: 'CHG-7', timeToLive: 0 });
    expect(late.body.correlatedTo ?? null).toBeNull();
    await restart();

    await completeJob(instance.id, 'rollback');
    expect(await waitingAt(instance.id)).toEqual(['verify:service-task']);
    await completeJob(instance.id, 'verify');
    expect(await row(instance.id)).toMatchObject({
      status: 'completed',
      variables: { changeId: 'CHG-7', cause: 'disk', note: 'second' },
    });
    const steps = await history(instance.id);
    expect(steps).toEqual(expect.arrayContaining(['activity.end:on-install-failed', 'activity.end:deploy']));
    expect(steps).not.toContain('activity.start:on-abort');
    expect(steps.filter((step) => step === 'activity.end:record-note')).toHaveLength(2);
  });

  it('given a deploy waiting at its install, when the freeze is broadcast across a restart, then its sub-process ends at the freeze and the process verifies; given another, when its install throws an error the sub-process does not catch, then the process-level catch-all takes it and withdraws the whole deploy', async () => {
    const frozen = await instances().start('nested-deploy', { changeId: 'CHG-8' });
    await restart();

    const freeze = await driver().call(
      'POST',
      '/api/signals/broadcast',
      { name: 'deploy-freeze' },
      'project-manager',
    );
    expect(freeze.body.triggered).toEqual([{ instanceId: frozen.id, elementId: 'freeze-received' }]);
    expect(await waitingAt(frozen.id)).toEqual(['verify:service-task']);
    expect(await pendingJobs(frozen.id, 'install')).toEqual([]);
    expect(await subscriptions(frozen.id)).toEqual([]);

    const fresh = await instances().start('nested-deploy', { changeId: 'CHG-10' });
    await restart();
    const [freshInstall] = await pendingJobs(fresh.id, 'install');
    expect(await instances().throwJobError(freshInstall!, 'DISK_GONE', 'no disk')).toBe('caught');
    expect(await waitingAt(fresh.id)).toEqual(['on-abort:other', 'rollback-all:service-task']);
    expect(await subscriptions(fresh.id)).toEqual([]);
    await restart();
    await completeJob(fresh.id, 'rollback-all');
    expect((await row(fresh.id)).status).toBe('completed');
    await completeJob(frozen.id, 'verify');
    expect((await row(frozen.id)).status).toBe('completed');
  });
});

describe('event sub-processes inside a sub-process, with workers and a controlled clock', () => {
  const clock = new ManualClock();
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({ processesDir, jobTypes: JOB_TYPES, clock });
  });
  afterAll(() => s.close());

  const waitingAt = (id: string) => s.waitKinds(id);
  const jobsAt = async (id: string, elementId: string) =>
    (
      await s.t.dataSource.query<Array<{ status: string }>>(
        `SELECT status FROM job WHERE instance_id = $1 AND element_id = $2 ORDER BY created_at`,
        [id, elementId],
      )
    ).map((j) => j.status);

  it('given a deploy that escalates to the CAB and waits for its confirmation, when an hour passes across a restart, then the CAB is informed beside it, the timeout withdraws the confirmation, and the process verifies and ends', async () => {
    const instance = await s.instances().start('nested-deploy', { changeId: 'CHG-11' });
    await eventually(async () => (await waitingAt(instance.id)).includes('confirm:user-task'));
    await eventually(async () => (await jobsAt(instance.id, 'inform-cab')).join() === 'completed');
    expect(await waitingAt(instance.id)).toEqual([
      'confirm:user-task',
      'deploy:other',
      'freeze-received:signal',
      'note-received:message',
      'timed-out:timer',
    ]);

    await s.restart();
    await clock.advance(3600_000 + 1000, s.resources);

    await eventually(async () => (await s.row(instance.id)).status === 'completed');
    expect(await jobsAt(instance.id, 'report-timeout')).toEqual(['completed']);
    expect(await jobsAt(instance.id, 'verify')).toEqual(['completed']);
    const confirm = await s.t.dataSource.query<Array<{ status: string }>>(
      `SELECT status FROM user_task WHERE instance_id = $1 AND element_id = 'confirm'`,
      [instance.id],
    );
    expect(confirm.map((c) => c.status)).toEqual(['cancelled']);
  });
});
