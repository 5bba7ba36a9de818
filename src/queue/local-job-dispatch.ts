import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { within } from '../platform/within.js';
import { JOB_QUEUE, type JobQueuePort } from './job-queue.port.js';
import { OutboxRepository, type OutboxMessage } from './outbox.repository.js';
import { RelayedMarks } from './relayed-marks.js';

/**
 * How a job run in this process leaves its message: done with (`marked`: by the completion that committed, which
 * marks its job's messages relayed), or handed to its queue (a retry, a wait).
 */
export type LocalRunOutcome =
  | { readonly handOver: false; readonly marked?: boolean }
  | { readonly handOver: true; readonly delayMs: number; readonly attempts: number };

/** The workers of this process, as the dispatch runs them: one job at a time, as a queue delivery would. */
export interface LocalJobRunner {
  readonly jobTypes: ReadonlySet<string>;
  readonly concurrency: number;
  runHere(message: OutboxMessage): Promise<LocalRunOutcome>;
}

/** Jobs promised to this process's workers but not yet finished, per worker slot, before new ones go to Redis. */
const HELD_PER_SLOT = 4;

/**
 * Hands a job that this process's own workers can run straight to them after its commit, instead of through Redis
 * and back (LOCAL_JOB_DISPATCH). The outbox message is written claimed (`claimed_at`), so no relay sweep takes it
 * while it is held here; the claim is renewed while it is held, and lapses after JOB_LOCK_MS when the process dies,
 * at which point a sweep puts the message on its queue like any stranded one. Done, the message is marked relayed;
 * a retry or a wait goes to its queue, where BullMQ spaces it. The job row still decides whether a delivery may
 * take effect, so a message run here and delivered again after a lapsed claim takes effect once.
 */
@Injectable()
export class LocalJobDispatch {
  private readonly logger = new Logger(LocalJobDispatch.name);
  private runner: LocalJobRunner | undefined;
  /** The ids of the claimed messages this process runs or will run: renewed while held, given back when it stops. */
  private readonly held = new Set<string>();
  private readonly waiting: OutboxMessage[] = [];
  private running = 0;
  /** Per queue, what operators see of the jobs run here beside the queue's own counts (since this process started). */
  private readonly figures = new Map<string, { active: number; completed: number }>();
  private readonly runs = new Set<Promise<void>>();
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(OutboxRepository) private readonly outbox: OutboxRepository,
    @Inject(JOB_QUEUE) private readonly queue: JobQueuePort,
    @Inject(RelayedMarks) private readonly marks: RelayedMarks,
  ) {}

  /** The workers are up: jobs of their types may be written for this process from now on. */
  attach(runner: LocalJobRunner): void {
    if (!this.config.localJobDispatch) return;
    this.runner = runner;
  }

  /**
   * Whether a job about to be written goes to this process's workers: its type is theirs, it is due now, and they
   * do not hold too many already. Asked while the transaction that writes it is open.
   */
  accepts(queue: string, dueAt: Date | null): boolean {
    const runner = this.runner;
    return (
      runner !== undefined &&
      dueAt === null &&
      runner.jobTypes.has(queue) &&
      this.held.size < runner.concurrency * HELD_PER_SLOT
    );
  }

  /** Committed messages written claimed for this process (see `accepts`): run them. */
  start(messages: readonly OutboxMessage[]): void {
    if (!this.runner) {
      // Stopped between the write and the commit: the claims go back, and a sweep relays the messages.
      void this.giveBack(messages.map((m) => m.id));
      return;
    }
    for (const message of messages) {
      this.held.add(message.id);
      this.waiting.push(message);
    }
    this.renewal ??= this.startRenewal();
    this.pump();
  }

  /**
   * Take no more, give back the claims of what has not started, let what runs finish within `timeoutMs`, and give
   * back what still runs then (another process takes it over; the job row keeps it from taking effect twice).
   */
  async stop(timeoutMs: number): Promise<void> {
    this.runner = undefined;
    const notStarted = this.waiting.splice(0).map((m) => m.id);
    for (const id of notStarted) this.held.delete(id);
    await this.giveBack(notStarted);
    await within(timeoutMs, Promise.all(this.runs));
    const stillRunning = [...this.held];
    this.held.clear();
    await this.giveBack(stillRunning);
    if (this.renewal) clearInterval(this.renewal);
    this.renewal = undefined;
  }

  /**
   * The jobs of a queue run here, as a queue counts them: waiting for a worker slot, active, and completed by this
   * process since it started (handed over to the queue after a failure: counted there).
   */
  counts(queue: string): { waiting: number; active: number; completed: number } {
    const figures = this.figures.get(queue);
    return {
      waiting: this.waiting.filter((m) => m.queue === queue).length,
      active: figures?.active ?? 0,
      completed: figures?.completed ?? 0,
    };
  }

  private figuresOf(queue: string): { active: number; completed: number } {
    let figures = this.figures.get(queue);
    if (!figures) this.figures.set(queue, (figures = { active: 0, completed: 0 }));
    return figures;
  }

  private pump(): void {
    const runner = this.runner;
    if (!runner) return;
    while (this.running < runner.concurrency && this.waiting.length > 0) {
      const message = this.waiting.shift()!;
      this.running += 1;
      const run: Promise<void> = this.runOne(runner, message).finally(() => {
        this.running -= 1;
        this.runs.delete(run);
        this.pump();
      });
      this.runs.add(run);
    }
  }

  private async runOne(runner: LocalJobRunner, message: OutboxMessage): Promise<void> {
    const figures = this.figuresOf(message.queue);
    figures.active += 1;
    let marked = false;
    try {
      const outcome = await runner.runHere(message);
      if (!outcome.handOver) {
        figures.completed += 1;
        marked = outcome.marked ?? false;
      } else {
        await this.queue.enqueueBulk([
          {
            queue: message.queue,
            messageId: message.id,
            message: { jobId: message.jobId },
            options: { delayMs: outcome.delayMs, attempts: outcome.attempts },
          },
        ]);
      }
    } catch (err) {
      // Neither done nor handed over (PostgreSQL or Redis away): the sweep relays it once the claim is given back.
      this.logger.warn(`job ${message.jobId} (${message.queue}) goes back to the relay: ${String(err)}`);
      if (this.held.delete(message.id)) await this.giveBack([message.id]);
      return;
    } finally {
      figures.active -= 1;
    }
    // Given back by a stop that timed out, or marked by the job's completion: nothing left to mark.
    if (!this.held.delete(message.id) || marked) return;
    await this.marks.mark([message.id]).catch((err: unknown) => {
      this.logger.warn(
        `marking job ${message.jobId} done failed, a sweep will deliver it again: ${String(err)}`,
      );
    });
  }

  private startRenewal(): NodeJS.Timeout {
    const timer = setInterval(
      () => {
        const ids = [...this.held];
        if (ids.length === 0) return;
        this.outbox.renewClaims(ids).catch((err: unknown) => {
          this.logger.warn(`renewing the claims of ${ids.length} jobs run here failed: ${String(err)}`);
        });
      },
      Math.max(100, Math.floor(this.config.jobLockMs / 3)),
    );
    timer.unref();
    return timer;
  }

  private async giveBack(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.outbox.releaseClaims(ids).catch((err: unknown) => {
      this.logger.warn(`giving back ${ids.length} claimed jobs failed, their claims lapse: ${String(err)}`);
    });
  }
}
