import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { ManualClock } from '../support/manual-clock';
import { ReleaseDriver } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually, newTestResources } from '../support/test-env';

/**
 * Event sub-processes (Camunda 8): a non-interrupting message one adds a note beside the install, an error one
 * catches the install job's BPMN error and rolls back, a non-interrupting timer cycle reminds every day beside an
 * approval, and an interrupting signal one ends the approval. Their subscriptions are stored with the state: each
 * scenario restarts the service while they wait. No workers run: jobs are reported by hand.
 */
describe('event sub-processes', () => {
  const handlers = ['test.install', 'test.note', 'test.rollback', 'test.remind', 'test.report-closed'].map(
    (jobType) => ({
      jobType,
      handle: async () => ({}),
    }),
  );
  const env = { PROCESSES_DIR: join(__dirname, 'fixtures'), RUN_WORKERS: 'false' };
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
  const driver = () => ReleaseDriver.forApp(t);
  const row = async (id: string) =>
    (
      await t.dataSource.query<
        Array<{
          status: string;
          variables: Record<string, unknown>;
          waits: Array<{ elementId: string; kind: string }>;
        }>
      >('SELECT status, variables, waits FROM process_instance WHERE id = $1', [id])
    )[0]!;
  const waitingAt = async (id: string) => (await row(id)).waits.map((w) => `${w.elementId}:${w.kind}`).sort();
  const pendingJobs = async (id: string, elementId: string) =>
    (
      await t.dataSource.query<Array<{ id: string }>>(
        `SELECT id FROM job WHERE instance_id = $1 AND element_id = $2 AND status = 'pending' ORDER BY created_at`,
        [id, elementId],
      )
    ).map((j) => j.id);
  const publish = (body: Record<string, unknown>) =>
    driver().call('POST', '/api/messages/publish', body, 'project-manager');

  it('given an install with a note sub-process, when a note is published across a restart, then it is recorded beside the install, one note at a time; when the install throws its error, the rollback interrupts it', async () => {
    const instance = await instances().start('install-with-notes', { changeId: 'CHG-21' });
    expect(await waitingAt(instance.id)).toEqual(['install:service-task', 'note-received:message']);
    await restart();

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
    expect(await waitingAt(instance.id)).toEqual([
      'install:service-task',
      'on-note:other',
      'record-note:service-task',
    ]);
    await restart();
    const [firstNote] = await pendingJobs(instance.id, 'record-note');
    await instances().completeJob(firstNote!);
    const [secondNote] = await pendingJobs(instance.id, 'record-note');
    expect(secondNote).toBeDefined();
    expect(secondNote).not.toBe(firstNote);
    await instances().completeJob(secondNote!);
    expect(await waitingAt(instance.id)).toEqual(['install:service-task', 'note-received:message']);
    const recorded = await t.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM job WHERE instance_id = $1 AND element_id = 'record-note'`,
      [instance.id],
    );
    expect(recorded[0]!.n).toBe(2);

    const [install] = await pendingJobs(instance.id, 'install');
    expect(await instances().throwJobError(install!, 'INSTALL_FAILED', 'disk full', { cause: 'disk' })).toBe(
      'caught',
    );
    expect(await waitingAt(instance.id)).toEqual(['on-failure:other', 'rollback:service-task']);
    const late = await publish({ name: 'change-note', correlationKey: 'CHG-21', timeToLive: 0 });
    expect(late.body.correlatedTo ?? null).toBeNull();
    await restart();
    const [rollback] = await pendingJobs(instance.id, 'rollback');
    await instances().completeJob(rollback!);
    expect(await row(instance.id)).toMatchObject({
      status: 'completed',
      variables: { cause: 'disk', note: 'second' },
    });
  });
});

describe('event sub-process timers', () => {
  const handlers = ['test.install', 'test.note', 'test.rollback', 'test.remind', 'test.report-closed'].map(
    (jobType) => ({ jobType, handle: async () => ({}) }),
  );
  const env = { PROCESSES_DIR: join(__dirname, 'fixtures') };
  const clock = new ManualClock();
  const resources = newTestResources();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env, resources, handlers, { clock });
  });
  afterAll(() => t.close());

  const instances = () => t.get<InstanceService>(InstanceService);
  const waitingAt = async (id: string) =>
    (
      await t.dataSource.query<Array<{ status: string; waits: Array<{ elementId: string; kind: string }> }>>(
        'SELECT status, waits FROM process_instance WHERE id = $1',
        [id],
      )
    )[0]!.waits
      .map((w) => `${w.elementId}:${w.kind}`)
      .sort();
  const reminders = async (id: string) =>
    (
      await t.dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM job WHERE instance_id = $1 AND element_id = 'remind' AND status = 'completed'`,
        [id],
      )
    )[0]!.n;
  const quiet = ['approve:user-task', 'every-day:timer', 'on-withdrawn:signal'];

  it('given an approval with a daily reminder, when two days pass with a restart between, then a reminder runs each day beside the approval; the withdrawal signal then ends it', async () => {
    const instance = await instances().start('approval-with-reminder', {});
    expect(await waitingAt(instance.id)).toEqual(quiet);

    await clock.advance(24 * 3600_000 + 1000, resources);
    await eventually(
      async () => (await reminders(instance.id)) === 1 && (await waitingAt(instance.id)).length === 3,
    );
    expect(await waitingAt(instance.id)).toEqual(quiet);
    await t.stop();
    t = await startTestApp(env, resources, handlers, { clock });
    await clock.advance(24 * 3600_000 + 1000, resources);
    await eventually(
      async () => (await reminders(instance.id)) === 2 && (await waitingAt(instance.id)).length === 3,
    );
    expect(await waitingAt(instance.id)).toEqual(quiet);

    const withdrawn = await ReleaseDriver.forApp(t).call(
      'POST',
      '/api/signals/broadcast',
      { name: 'change-withdrawn' },
      'project-manager',
    );
    expect(withdrawn.body.triggered).toEqual([{ instanceId: instance.id, elementId: 'on-withdrawn' }]);
    const [row] = await t.dataSource.query('SELECT status FROM process_instance WHERE id = $1', [
      instance.id,
    ]);
    expect(row.status).toBe('completed');
    const open = await t.dataSource.query(`SELECT 1 FROM job WHERE instance_id = $1 AND status = 'pending'`, [
      instance.id,
    ]);
    expect(open).toEqual([]);
    expect(await reminders(instance.id)).toBe(2);
  });
});
