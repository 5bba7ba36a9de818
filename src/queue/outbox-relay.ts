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
import { OutboxRepository, type OutboxMessage } from './outbox.repository.js';

const BATCH = 100;
/** The sweep leaves messages younger than this to the relay after their commit. */
export const SWEEP_GRACE_MS = 1000;
/** A sweep's claim on messages lapses after this, for when its process died before relaying them. */
const CLAIM_LEASE_MS = 30_000;

/**
 * Puts committed outbox messages on their queues. Straight after a commit it relays what that transaction wrote
 * (one `enqueueBulk`, then one UPDATE shared with the commits relayed at the same time); a sweep on start and every OUTBOX_POLL_MS relays what a crash, or a
 * Redis that refused, left behind. Neither holds a database transaction while it talks to Redis. The message id
 * is the queue job id: relaying twice adds once.
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
  /** Relayed messages waiting for the next UPDATE that marks them (it starts once the one running ends). */
  private nextMarks: { readonly ids: string[]; readonly done: Promise<void> } | null = null;
  private marking: Promise<void> = Promise.resolve();

  constructor(
    @Inject(OutboxRepository) private readonly outbox: OutboxRepository,
    @Inject(JobRepository) private readonly jobs: JobRepository,
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
    await Promise.all([this.sweeping, ...this.relaying]);
  }

  /**
   * A transaction committed: put the outbox messages it wrote on their queues now. Nothing to do (no SQL, no
   * Redis) when it wrote none. A failure leaves them to the sweep.
   */
  afterCommit(manager: EntityManager): void {
    const messages = this.jobs.takeWritten(manager);
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
      const claimed = await this.outbox.claimUnrelayed(SWEEP_GRACE_MS, CLAIM_LEASE_MS, BATCH);
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
    await this.mark(messages.map((m) => m.id));
  }

  /**
   * Mark relayed messages in one UPDATE with those of the other commits relayed meanwhile: one statement at a time,
   * the next taking everything that arrived while the last ran. A message whose mark is lost (a crash, a failed
   * UPDATE) is relayed again by the sweep, which adds nothing twice (the message id is the queue job id).
   */
  private mark(ids: readonly string[]): Promise<void> {
    if (!this.nextMarks) {
      const batch: string[] = [];
      const done = this.marking
        .catch(() => undefined)
        .then(() => {
          this.nextMarks = null;
          return this.outbox.markRelayed(batch);
        });
      this.marking = done;
      this.nextMarks = { ids: batch, done };
    }
    this.nextMarks.ids.push(...ids);
    return this.nextMarks.done;
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
