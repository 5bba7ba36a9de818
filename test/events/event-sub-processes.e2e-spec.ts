import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';
import { ManualClock } from '../support/manual-clock';
import { ReleaseDriver } from '../support/release-driver';
import { eventually } from '../support/test-env';

/** The job types of the fixtures' service tasks; none of them does anything. */
const JOB_TYPES = ['test.install', 'test.note', 'test.rollback', 'test.remind', 'test.report-closed'];

/**
 * Event sub-processes (Camunda 8): a non-interrupting message one adds a note beside the install, an error one
 * catches the install job's BPMN error and rolls back, a non-interrupting timer cycle reminds every day beside an
 * approval, and an interrupting signal one ends the approval. Their subscriptions are stored with the state: each
 * scenario restarts the service while they wait. No workers run: jobs are reported by hand.
 */
describe('event sub-processes', () => {
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures'),
      jobTypes: JOB_TYPES,
      workers: false,
    });
  });
  afterAll(() => s.close());

  const publish = (body: Record<string, unknown>) =>
    ReleaseDriver.forApp(s.t).call('POST', '/api/messages/publish', body, 'project-manager');

  it('given an install with a note sub-process, when a note is published across a restart, then it is recorded beside the install, one note at a time; when the install throws its error, the rollback interrupts it', async () => {
    const instance = await s.instances().start('install-with-notes', { changeId: 'CHG-21' });
    expect(await s.waitKinds(instance.id)).toEqual(['install:service-task', 'note-received:message']);
    await s.restart();

    const first = await publish({
      name: 'change-note',
      correlationKey: 'CHG-21',
      variables: { note: '先通知用户 (tell users first)' },
    });
    expect(first.body.correlatedTo).toEqual({ instanceId: instance.id, elementId: 'note-received' });
    // One note at a time: the second waits buffered until the first is recorded.
    const second = await publish({
      name: 'change-note',
      correlationKey: 'CHG-21',
      timeToLive: 60_000,
      variables: { note: 'second' },
    });
    expect(second.body).toMatchObject({ buffered: true });
    expect(await s.waitKinds(instance.id)).toEqual([
      'install:service-task',
      'on-note:other',
      'record-note:service-task',
    ]);
    await s.restart();
    const [firstNote] = await s.pendingJobs(instance.id, 'record-note');
    await s.instances().completeJob(firstNote!);
    const [secondNote] = await s.pendingJobs(instance.id, 'record-note');
    expect(secondNote).toBeDefined();
    expect(secondNote).not.toBe(firstNote);
    await s.instances().completeJob(secondNote!);
    expect(await s.waitKinds(instance.id)).toEqual(['install:service-task', 'note-received:message']);
    const recorded = await s.t.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM job WHERE instance_id = $1 AND element_id = 'record-note'`,
      [instance.id],
    );
    expect(recorded[0]!.n).toBe(2);

    const [install] = await s.pendingJobs(instance.id, 'install');
    expect(
      await s.instances().throwJobError(install!, 'INSTALL_FAILED', 'disk full', { cause: 'disk' }),
    ).toBe('caught');
    expect(await s.waitKinds(instance.id)).toEqual(['on-failure:other', 'rollback:service-task']);
    const late = await publish({ name: 'change-note', correlationKey: 'CHG-21', timeToLive: 0 });
    expect(late.body.correlatedTo ?? null).toBeNull();
    await s.restart();
    const [rollback] = await s.pendingJobs(instance.id, 'rollback');
    await s.instances().completeJob(rollback!);
    expect(await s.row(instance.id)).toMatchObject({
      status: 'completed',
      variables: { cause: 'disk', note: 'second' },
    });
  });
});

describe('event sub-process timers', () => {
  const clock = new ManualClock();
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({ processesDir: join(__dirname, 'fixtures'), jobTypes: JOB_TYPES, clock });
  });
  afterAll(() => s.close());

  const reminders = (id: string) => s.completedJobs(id, 'remind');
  const quiet = ['approve:user-task', 'every-day:timer', 'on-withdrawn:signal'];

  it('given an approval with a daily reminder, when two days pass with a restart between, then a reminder runs each day beside the approval; the withdrawal signal then ends it', async () => {
    const instance = await s.instances().start('approval-with-reminder', {});
    expect(await s.waitKinds(instance.id)).toEqual(quiet);

    await clock.advance(24 * 3600_000 + 1000, s.resources);
    await eventually(
      async () => (await reminders(instance.id)) === 1 && (await s.waitKinds(instance.id)).length === 3,
    );
    expect(await s.waitKinds(instance.id)).toEqual(quiet);
    await s.restart();
    await clock.advance(24 * 3600_000 + 1000, s.resources);
    await eventually(
      async () => (await reminders(instance.id)) === 2 && (await s.waitKinds(instance.id)).length === 3,
    );
    expect(await s.waitKinds(instance.id)).toEqual(quiet);

    const withdrawn = await ReleaseDriver.forApp(s.t).call(
      'POST',
      '/api/signals/broadcast',
      { name: 'change-withdrawn' },
      'project-manager',
    );
    expect(withdrawn.body.triggered).toEqual([{ instanceId: instance.id, elementId: 'on-withdrawn' }]);
    const [row] = await s.t.dataSource.query('SELECT status FROM process_instance WHERE id = $1', [
      instance.id,
    ]);
    expect(row.status).toBe('completed');
    const open = await s.t.dataSource.query(
      `SELECT 1 FROM job WHERE instance_id = $1 AND status = 'pending'`,
      [instance.id],
    );
    expect(open).toEqual([]);
    expect(await reminders(instance.id)).toBe(2);
  });
});
