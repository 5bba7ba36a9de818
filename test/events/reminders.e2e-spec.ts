import { join } from 'node:path';
import { InstanceService } from '../../src/instances/instance.service';
import { ManualClock } from '../support/manual-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually, newTestResources } from '../support/test-env';

/**
 * A non-interrupting daily reminder on an approval (a timer boundary cycle, `R/P1D`): each day a reminder job
 * runs beside the approval and the timer re-arms, across a restart; a link leads to the approval, and a rejection
 * reaches a terminate end event that ends everything, the timer with it. The clock is moved by the test.
 */
describe('a daily reminder on an approval', () => {
  const handlers = [{ jobType: 'test.remind', handle: async () => ({}) }];
  const env = { PROCESSES_DIR: join(__dirname, 'fixtures', 'reminders') };
  const clock = new ManualClock();
  const resources = newTestResources();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(env, resources, handlers, { clock });
  });
  afterAll(() => t.close());

  const instances = () => t.get<InstanceService>(InstanceService);
  const row = async (id: string) =>
    (
      await t.dataSource.query<Array<{ status: string; waits: Array<{ elementId: string; kind: string }> }>>(
        'SELECT status, waits FROM process_instance WHERE id = $1',
        [id],
      )
    )[0]!;
  const waitingAt = async (id: string) => (await row(id)).waits.map((w) => `${w.elementId}:${w.kind}`).sort();
  const reminders = async (id: string) =>
    (
      await t.dataSource.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM job WHERE instance_id = $1 AND element_id = 'remind' AND status = 'completed'`,
        [id],
      )
    )[0]!.n;
  const quiet = ['approve:user-task', 'every-day:timer'];
  const day = 24 * 3600_000 + 1000;

  it('given an approval reached through a link, when two days pass with a restart between, then a reminder runs each day beside it; a rejection then terminates the instance and its timer', async () => {
    const instance = await instances().start('approval-with-daily-reminder', {});
    expect(await waitingAt(instance.id)).toEqual(quiet);

    await clock.advance(day, resources);
    await eventually(
      async () => (await reminders(instance.id)) === 1 && (await waitingAt(instance.id)).length === 2,
    );
    expect(await waitingAt(instance.id)).toEqual(quiet);
    await t.stop();
    t = await startTestApp(env, resources, handlers, { clock });
    await clock.advance(day, resources);
    await eventually(
      async () => (await reminders(instance.id)) === 2 && (await waitingAt(instance.id)).length === 2,
    );
    expect(await waitingAt(instance.id)).toEqual(quiet);

    const timers = await t.dataSource.query(
      `SELECT 1 FROM job WHERE instance_id = $1 AND kind = 'timer' AND status = 'pending'`,
      [instance.id],
    );
    expect(timers).toHaveLength(1);
    const [task] = await t.dataSource.query<Array<{ id: string }>>(
      `SELECT id FROM user_task WHERE instance_id = $1 AND status = 'open'`,
      [instance.id],
    );
    await t
      .as('project-manager')
      .post(`/api/tasks/${task!.id}/complete`)
      .send({ data: { rejected: true } })
      .expect(200);

    expect((await row(instance.id)).status).toBe('completed');
    expect(await waitingAt(instance.id)).toEqual([]);
    const ended = await t.dataSource.query<Array<{ element_id: string }>>(
      `SELECT DISTINCT element_id FROM history_event WHERE instance_id = $1 AND element_id IN ('approval-here', 'rejected', 'approved')`,
      [instance.id],
    );
    expect(ended.map((e) => e.element_id).sort()).toEqual(['approval-here', 'rejected']);
    // Nothing of it is left to fire: no pending job, the timer's included.
    const pending = await t.dataSource.query(
      `SELECT 1 FROM job WHERE instance_id = $1 AND status = 'pending'`,
      [instance.id],
    );
    expect(pending).toEqual([]);
    expect(await reminders(instance.id)).toBe(2);
  });
});
