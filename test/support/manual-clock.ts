import { Queue } from 'bullmq';
import { Client } from 'pg';
import type { Clock } from '../../src/platform/clock';
import { TIMER_QUEUE } from '../../src/queue/job-queue.port';
import { eventually, REDIS_URL, type TestResources } from './test-env';

/**
 * A clock the test moves forward by hand (it runs on with real time in between), so timer scenarios wait
 * for no real expiry. Pass it to startTestApp; `advance` moves it and wakes the timers it made due.
 */
export class ManualClock implements Clock {
  private offsetMs = 0;

  /** `standing`: the clock stands at this time, moved only by `advance` (real time does not move it). */
  constructor(private readonly standing?: Date) {}

  now(): Date {
    return new Date((this.standing?.getTime() ?? Date.now()) + this.offsetMs);
  }

  /**
   * Move time forward by `ms`, then deliver every timer wake-up now: their delayed jobs wait in Redis on real
   * time, and the service re-queues the ones the clock has not yet made due.
   */
  async advance(ms: number, resources: TestResources): Promise<void> {
    this.offsetMs += ms;
    await timerWakeUpsRelayed(resources);
    const queue = new Queue(TIMER_QUEUE, { connection: { url: REDIS_URL }, prefix: resources.queuePrefix });
    try {
      for (const job of await queue.getDelayed()) await job.promote();
    } finally {
      await queue.close();
    }
  }
}

/** Wait until every timer wake-up committed so far is on its queue (the relay runs just after commit). */
async function timerWakeUpsRelayed(resources: TestResources): Promise<void> {
  const db = new Client({ connectionString: resources.databaseUrl });
  await db.connect();
  try {
    await eventually(
      async () => {
        const { rows } = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM outbox WHERE queue = $1 AND relayed_at IS NULL`,
          [TIMER_QUEUE],
        );
        return rows[0]!.n === 0;
      },
      { what: 'the timer wake-ups to be relayed' },
    );
  } finally {
    await db.end();
  }
}
