import { join } from 'node:path';
import { EngineScenario } from '../support/engine-scenario';
import { ManualClock } from '../support/manual-clock';
import { eventually } from '../support/test-env';

/**
 * A non-interrupting daily reminder on an approval (a timer boundary cycle, `R/P1D`): each day a reminder job
 * runs beside the approval and the timer re-arms, across a restart; a link leads to the approval, and a rejection
 * reaches a terminate end event that ends everything, the timer with it. The clock is moved by the test.
 */
describe('a daily reminder on an approval', () => {
  const clock = new ManualClock();
  let s: EngineScenario;

  beforeAll(async () => {
    s = await EngineScenario.start({
      processesDir: join(__dirname, 'fixtures', 'reminders'),
      jobTypes: ['test.remind'],
      clock,
    });
  });
  afterAll(() => s.close());

  const reminders = (id: string) => s.completedJobs(id, 'remind');
  const quiet = ['approve:user-task', 'every-day:timer'];
  const day = 24 * 3600_000 + 1000;

  it('given an approval reached through a link, when two days pass with a restart between, then a reminder runs each day beside it; a rejection then terminates the instance and its timer', async () => {
    const instance = await s.instances().start('approval-with-daily-reminder', {});
    expect(await s.waitKinds(instance.id)).toEqual(quiet);

    await clock.advance(day, s.resources);
    await eventually(
      async () => (await reminders(instance.id)) === 1 && (await s.waitKinds(instance.id)).length === 2,
    );
    expect(await s.waitKinds(instance.id)).toEqual(quiet);
    await s.restart();
    await clock.advance(day, s.resources);
    await eventually(
      async () => (await reminders(instance.id)) === 2 && (await s.waitKinds(instance.id)).length === 2,
    );
    expect(await s.waitKinds(instance.id)).toEqual(quiet);

    const timers = await s.t.dataSource.query(
      `SELECT 1 FROM job WHERE instance_id = $1 AND kind = 'timer' AND status = 'pending'`,
      [instance.id],
    );
    expect(timers).toHaveLength(1);
    await s.completeTask(instance.id, 'approve', { rejected: true });

    expect((await s.row(instance.id)).status).toBe('completed');
    expect(await s.waitKinds(instance.id)).toEqual([]);
    const ended = await s.t.dataSource.query<Array<{ element_id: string }>>(
      `SELECT DISTINCT element_id FROM history_event WHERE instance_id = $1 AND element_id IN ('approval-here', 'rejected', 'approved')`,
      [instance.id],
    );
    expect(ended.map((e) => e.element_id).sort()).toEqual(['approval-here', 'rejected']);
    // Nothing of it is left to fire: no pending job, the timer's included.
    const pending = await s.t.dataSource.query(
      `SELECT 1 FROM job WHERE instance_id = $1 AND status = 'pending'`,
      [instance.id],
    );
    expect(pending).toEqual([]);
    expect(await reminders(instance.id)).toBe(2);
  });
});
