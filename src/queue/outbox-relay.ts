import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { CLOCK, type Clock } from '../platform/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { JOB_QUEUE, type JobQueuePort } from './job-queue.port.js';

const BATCH = 100;

interface OutboxRow {
  id: string;
  job_id: string;
  queue: string;
  due_at: Date | null;
  max_attempts: number;
}

/**
 * Puts committed outbox messages on their queues: after each commit (kick), on start, and on an interval,
 * so a crash between commit and relay loses nothing. The message id is the queue job id: relaying twice adds once.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private interval: NodeJS.Timeout | undefined;
  /** The first pass after start re-offers what a lost Redis may have dropped; until it succeeds. */
  private reofferPending = true;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(JOB_QUEUE) private readonly queue: JobQueuePort,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.interval = setInterval(() => this.kick(), this.config.outboxPollMs);
    this.interval.unref();
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    await this.running;
  }

  /** A transaction committed: relay what it wrote to the outbox. */
  afterCommit(_manager: EntityManager): void {
    this.kick();
  }

  /** Relay soon; concurrent kicks coalesce into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err: unknown) => this.logger.warn(`outbox relay failed, will retry: ${String(err)}`))
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Relay until nothing is left; resolves when done (tests and shutdown wait on it). */
  async drain(): Promise<void> {
    if (this.reofferPending) {
      await this.reofferPendingJobs();
      this.reofferPending = false;
    }
    while (!this.stopped && (await this.relayBatch()) === BATCH) {
      // keep going
    }
  }

  /**
   * Marks the newest message of every pending job unrelayed, so the relay puts it on its queue again. Redis is
   * only the transport: after it lost its data (or the database was restored) a pending job or a timer's
   * wake-up would otherwise never run. Where the queue still holds the message, adding it again is a no-op.
   */
  private async reofferPendingJobs(): Promise<void> {
    await this.dataSource.query(
      `UPDATE outbox SET relayed_at = NULL
        WHERE relayed_at IS NOT NULL
          AND id IN (SELECT DISTINCT ON (o.job_id) o.id FROM outbox o JOIN job j ON j.id = o.job_id
                      WHERE j.status = 'pending' ORDER BY o.job_id, o.created_at DESC)`,
    );
  }

  private async relayBatch(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: OutboxRow[] = await manager.query(
        `SELECT id, job_id, queue, due_at, max_attempts FROM outbox
          WHERE relayed_at IS NULL ORDER BY created_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH],
      );
      const now = this.clock.now().getTime();
      for (const row of rows) {
        await this.queue.enqueue(
          row.queue,
          row.id,
          { jobId: row.job_id },
          { delayMs: row.due_at ? new Date(row.due_at).getTime() - now : 0, attempts: row.max_attempts },
        );
      }
      if (rows.length > 0) {
        await manager.query('UPDATE outbox SET relayed_at = now() WHERE id = ANY($1)', [
          rows.map((r) => r.id),
        ]);
      }
      return rows.length;
    });
  }
}
