import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, type Clock } from '../platform/clock.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { JOB_QUEUE, type JobQueuePort, type QueuedMessage } from './job-queue.port.js';
import { JobRepository } from './job.repository.js';
import { LocalJobDispatch } from './local-job-dispatch.js';
import { OutboxRepository, type OutboxMessage } from './outbox.repository.js';
import { RelayedMarks } from './relayed-marks.js';

const BATCH = 100;
/** The sweep leaves messages younger than this to the relay after their commit. */
export const SWEEP_GRACE_MS = 1000;

/**
 * Puts committed outbox messages on their queues. Straight after a commit it relays what that transaction wrote
 * (one `enqueueBulk`, then one UPDATE shared with the commits relayed at the same time), or hands the messages
 * written for this process's own workers to them (LocalJobDispatch); a sweep on start and every OUTBOX_POLL_MS
 * relays what a crash, or a Redis that refused, left behind. Neither holds a database transaction while it talks
 * to Redis. The message id is the queue job id: relaying twice adds once.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private sweeping: Promise<void> | null = null;
  private sweepAgain = false;
  /** After-commit relays under way, so a shutdown lets them finish. */
  private readonly relaying = new Set<Promise<void>>();
  private stopped = false;
  private interval: NodeJS.Timeout | undefined;
  /** The first sweep after start re-offers what a lost Redis may have dropped; until it succeeds. */
  private reofferPending = true;

  constructor(
    @Inject(OutboxRepository) private readonly outbox: OutboxRepository,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueuePort,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RelayedMarks) private readonly marks: RelayedMarks,
    @Inject(LocalJobDispatch) private readonly local: LocalJobDispatch,
  ) {}

  onApplicationBootstrap(): void {
    this.interval = setInterval(() => this.kick(), this.config.outboxPollMs);
    this.interval.unref();
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.interval) clearInterval(this.interval);
    await Promise.all([this.sweeping, ...this.relaying]);
  }

  /**
   * A transaction committed: put the outbox messages it wrote on their queues now, or run them here when they
   * were written for this process's workers. Nothing to do (no SQL, no Redis) when it wrote none. A failure
   * leaves them to the sweep.
   */
  afterCommit(manager: EntityManager): void {
    const written = this.jobs.takeWritten(manager);
    if (written.length === 0) return;
    const local = written.filter((m) => m.local);
    if (local.length > 0) this.local.start(local);
    const messages = written.filter((m) => !m.local);
    if (messages.length === 0 || this.stopped) return;
    const relay: Promise<void> = this.relay(messages)
      .catch((err: unknown) => this.logger.warn(`outbox relay failed, the sweep will retry: ${String(err)}`))
      .finally(() => this.relaying.delete(relay));
    this.relaying.add(relay);
  }

  /** Sweep soon; concurrent kicks coalesce into one more pass. */
  kick(): void {
    if (this.stopped) return;
    if (this.sweeping) {
      this.sweepAgain = true;
      return;
    }
    this.sweeping = this.sweep()
      .catch((err: unknown) => this.logger.warn(`outbox sweep failed, will retry: ${String(err)}`))
      .finally(() => {
        this.sweeping = null;
        if (this.sweepAgain) {
          this.sweepAgain = false;
          this.kick();
        }
      });
  }

  /**
   * Relay what is left unrelayed past the grace until nothing is: claim a batch (one statement), put it on the
   * queues, mark it relayed. Resolves when done.
   */
  async sweep(): Promise<void> {
    if (this.reofferPending) {
      await this.outbox.reofferPending();
      this.reofferPending = false;
    }
    while (!this.stopped) {
      // A claim (a sweep's, or a job held by its process's workers) lapses as a worker's hold on a job does.
      const claimed = await this.outbox.claimUnrelayed(SWEEP_GRACE_MS, this.config.jobLockMs, BATCH);
      if (claimed.length === 0) return;
      const ids = claimed.map((m) => m.id);
      try {
        await this.queue.enqueueBulk(this.queued(claimed));
      } catch (err) {
        await this.outbox.releaseClaims(ids).catch(() => undefined);
        throw err;
      }
      await this.outbox.markRelayed(ids);
      if (claimed.length < BATCH) return;
    }
  }

  private async relay(messages: readonly OutboxMessage[]): Promise<void> {
    await this.queue.enqueueBulk(this.queued(messages));
    await this.marks.mark(messages.map((m) => m.id));
  }

  private queued(messages: readonly OutboxMessage[]): QueuedMessage[] {
    const now = this.clock.now().getTime();
    return messages.map((m) => ({
      queue: m.queue,
      messageId: m.id,
      message: { jobId: m.jobId },
      options: { delayMs: m.dueAt ? m.dueAt.getTime() - now : 0, attempts: m.maxAttempts },
    }));
  }
}
