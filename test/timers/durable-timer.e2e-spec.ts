import { Client } from 'pg';
import { JobEntity } from '../../src/queue/job.entity';
import { ManualClock } from '../support/manual-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { dropTestResources, eventually, newTestResources } from '../support/test-env';

/** The escalation timer (PT30M by default) on a clock the test moves: no real waiting for it to expire. */
describe('durable timers', () => {
  const resources = newTestResources();
  const clock = new ManualClock();
  const THIRTY_MINUTES = 30 * 60_000;
  let t: TestApp | undefined;
  // Held open while the service is down, so a concurrent run's clean-up sees the database in use.
  const keeper = new Client({ connectionString: resources.databaseUrl });

  afterAll(async () => {
    await t?.stop();
    await keeper.end();
    await dropTestResources(resources);
  });

  const escalationEffects = async () =>
    (
      await t!.dataSource.query(
        `SELECT e.request, e.created_at FROM job_effect e JOIN job j ON j.id = e.job_id
          WHERE j.element_id = 'notify-escalation'`,
      )
    ).length as number;

  it('given an emergency approval waiting, when no process runs while its escalation timer expires, then the escalation fires on the next start and the approval stays open', async () => {
    t = await startTestApp({}, resources, [], { clock });
    await keeper.connect();
    const filed = await t
      .as('applicant')
      .post('/api/releases')
      .send({ class: 'emergency', request: { title: 'Hotfix payments', source: 'software' } })
      .expect(201);
    const releaseId: string = filed.body.id;
    const armedAt = clock.now().getTime();
    const timer = await eventually(
      () => t!.dataSource.getRepository(JobEntity).findOneBy({ kind: 'timer', status: 'pending' }),
      { what: 'the escalation timer to be armed' },
    );
    expect(timer.elementId).toBe('escalation-timer');
    expect(timer.dueAt!.getTime() - armedAt).toBeGreaterThan(THIRTY_MINUTES - 5_000);
    expect(timer.dueAt!.getTime() - armedAt).toBeLessThanOrEqual(THIRTY_MINUTES + 5_000);

    // Woken before it is due, the timer is queued again and nothing fires.
    await clock.advance(10 * 60_000, resources);
    await eventually(
      async () => {
        const rows = await t!.dataSource.query(`SELECT count(*)::int AS n FROM outbox WHERE job_id = $1`, [
          timer.id,
        ]);
        return rows[0].n === 2;
      },
      { what: 'the early wake-up to be queued again' },
    );
    expect(await escalationEffects()).toBe(0);
    await t.stop();

    // The service is down while the clock passes the expiry.
    await clock.advance(THIRTY_MINUTES, resources);
    t = await startTestApp({}, resources, [], { clock });
    await clock.advance(0, resources); // the wake-up re-queued before the stop is delivered now

    const escalation = await eventually(
      async () =>
        (
          await t!.dataSource.query(
            `SELECT e.request, e.created_at FROM job_effect e JOIN job j ON j.id = e.job_id
              WHERE j.element_id = 'notify-escalation'`,
          )
        )[0],
      { what: 'the escalation notification' },
    );
    expect(escalation.request.headers).toMatchObject({ template: 'escalation' });
    const tasks = await t.as('project-manager').get(`/api/tasks?releaseId=${releaseId}`).expect(200);
    expect(tasks.body.items.map((task: { elementId: string }) => task.elementId)).toEqual([
      'approve-emergency',
    ]);
    const fired = await t.dataSource.getRepository(JobEntity).findOneByOrFail({ id: timer.id });
    expect(fired.status).toBe('completed');
  });
});
