import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { FaultInjector } from '../platform/fault-injector.js';
import { JOB_OUTCOMES, type JobOutcomes } from './job-outcome.port.js';
import { JobRepository } from './job.repository.js';
import { JobRunner } from './job-runner.service.js';
import { QueueMetrics } from './queue.metrics.js';
import { JobBpmnError, JobHandlerRegistry, JobNotReadyError } from './job-handler.port.js';
import { TIMER_QUEUE, type QueueMessage } from './job-queue.port.js';
import { LocalJobDispatch, type LocalJobRunner, type LocalRunOutcome } from './local-job-dispatch.js';
import type { OutboxMessage } from './outbox.repository.js';
import { logRedisErrors } from '../platform/redis.js';

const NOT_READY_MARGIN_MS = 250;

/** How one attempt at a job went: fed back (or skipped), not ready to run yet, or failed with attempts left. */
type Attempt =
  | { readonly outcome: 'done'; readonly fed: string }
  | { readonly outcome: 'not-ready'; readonly error: JobNotReadyError }
  | { readonly outcome: 'failed'; readonly error: unknown; readonly left: number };

/**
 * Runs queued jobs: a handler per job type does the work, the result is reported to JOB_OUTCOMES (the instances).
 * Each attempt is checked against PostgreSQL first, so a message delivered twice is done once. A handler with
 * database effects only is run, recorded and completed in one transaction; one with peers has its effect recorded,
 * then its completion reported. The job row counts the attempts; BullMQ only carries the message, redelivers it
 * and spaces the retries.
 */
@Injectable()
export class JobWorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown, LocalJobRunner {
  private readonly logger = new Logger(JobWorkerService.name);
  private readonly workers: Worker[] = [];
  /** Jobs being run right now, so a shutdown can say how many it waited for. */
  private inFlight = 0;
  private ownTypes: ReadonlySet<string> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(JobHandlerRegistry) private readonly handlers: JobHandlerRegistry,
    @Inject(JOB_OUTCOMES) private readonly outcomes: JobOutcomes,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(JobRunner) private readonly runner: JobRunner,
    @Inject(FaultInjector) private readonly faults: FaultInjector,
    @Inject(QueueMetrics) private readonly metrics: QueueMetrics,
    @Inject(LocalJobDispatch) private readonly local: LocalJobDispatch,
  ) {}

  get jobTypes(): ReadonlySet<string> {
    this.ownTypes ??= new Set(this.handlers.jobTypes);
    return this.ownTypes;
  }

  get concurrency(): number {
    return this.config.workerConcurrency;
  }

  onApplicationBootstrap(): void {
    if (!this.config.runWorkers) return;
    const url = new URL(this.config.redisUrl);
    const connection = {
      host: url.hostname,
      port: Number(url.port || 6379),
      username: url.username ? decodeURIComponent(url.username) : undefined,
      password: url.password ? decodeURIComponent(url.password) : undefined,
      db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
      tls: url.protocol === 'rediss:' ? {} : undefined,
      maxRetriesPerRequest: null,
    };
    const options = {
      connection,
      prefix: this.config.queuePrefix,
      concurrency: this.config.workerConcurrency,
      lockDuration: this.config.jobLockMs,
      stalledInterval: this.config.jobLockMs,
      maxStalledCount: 3,
    };
    for (const jobType of this.handlers.jobTypes) {
      this.workers.push(
        this.watch(
          new Worker<QueueMessage>(
            jobType,
            (job, token) => this.counted(() => this.runServiceJob(job, token)),
            options,
          ),
        ),
      );
    }
    this.workers.push(
      this.watch(
        new Worker<QueueMessage>(TIMER_QUEUE, (job) => this.counted(() => this.runTimer(job)), options),
      ),
    );
    this.local.attach(this);
    this.logger.log(`workers started for ${[...this.handlers.jobTypes, TIMER_QUEUE].join(', ')}`);
  }

  /**
   * Stops taking jobs and lets the ones in flight finish, for at most SHUTDOWN_TIMEOUT_MS; what is still running
   * then is given back (its lock lapses and another worker takes it over, where the job row keeps it from
   * taking effect twice). Jobs handed over in this process are stopped alike (LocalJobDispatch.stop).
   */
  async beforeApplicationShutdown(): Promise<void> {
    const localStopped = this.local.stop(this.config.shutdownTimeoutMs);
    const workers = this.workers.splice(0);
    const running = this.inFlight;
    let timer: NodeJS.Timeout | undefined;
    const graceful = Promise.all(workers.map((w) => w.close())).then(() => true);
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), this.config.shutdownTimeoutMs);
    });
    const finished = await Promise.race([graceful, timedOut]);
    clearTimeout(timer);
    if (!finished) {
      this.logger.warn(
        `jobs still running after ${this.config.shutdownTimeoutMs} ms: giving them back to the queue`,
      );
      await Promise.all(workers.map((w) => w.close(true)));
    } else if (workers.length > 0) {
      this.logger.log(`workers stopped: every job in flight finished (${running} at the signal)`);
    }
    await localStopped;
  }

  private async counted<T>(run: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await run();
    } finally {
      this.inFlight -= 1;
    }
  }

  private async runTimer(message: Job<QueueMessage>): Promise<string> {
    const dueAt = message.timestamp + (message.opts.delay ?? 0);
    const outcome = await this.outcomes.timerDue(message.data.jobId);
    if (outcome === 'fired') this.metrics.timerLateness.observe(Math.max(0, Date.now() - dueAt) / 1000);
    return outcome;
  }

  private watch(worker: Worker): Worker {
    logRedisErrors(worker, `worker ${worker.name}`);
    return worker;
  }

  /** A delivery from the job type's queue (one queue per job type: the queue names the handler). */
  private async runServiceJob(message: Job<QueueMessage>, token: string | undefined): Promise<string> {
    const jobType = message.queueName;
    if (!this.handlers.has(jobType)) throw new UnrecoverableError(`no handler for job type ${jobType}`);
    const attempt = await this.attempt(jobType, message.data.jobId);
    if (attempt.outcome === 'not-ready') return this.comeBackLater(message, token, jobType, attempt.error);
    if (attempt.outcome === 'failed') throw attempt.error;
    return attempt.fed;
  }

  /**
   * A job handed over by LocalJobDispatch, run as a delivery from its queue would be. What a delivery leaves to
   * BullMQ (spacing a retry, parking a job that cannot run yet) goes to the queue.
   */
  async runHere(message: OutboxMessage): Promise<LocalRunOutcome> {
    const attempt = await this.counted(() => this.attempt(message.queue, message.jobId));
    if (attempt.outcome === 'not-ready') {
      const delayMs = Math.max(0, attempt.error.retryAt.getTime() - Date.now()) + NOT_READY_MARGIN_MS;
      return { handOver: true, delayMs, attempts: message.maxAttempts };
    }
    if (attempt.outcome === 'failed' && attempt.left > 0)
      return { handOver: true, delayMs: this.config.jobBackoffMs, attempts: attempt.left };
    // A completion that committed marked the job's messages relayed in its own statement.
    return { handOver: false, marked: attempt.outcome === 'done' && attempt.fed === 'completed' };
  }

  /** One attempt at a job: run its handler (unless its recorded result stands) and feed the result back. */
  private async attempt(jobType: string, jobId: string): Promise<Attempt> {
    const database = this.handlers.effectsOf(jobType) === 'database';
    // A handler with peers records its effect, then the completion follows: read the job (and any recorded
    // effect) first. A database-only one reads it under the instance's lock, in the transaction that completes it.
    const toRun = database ? null : await this.outcomes.context(jobId);
    if (toRun && 'skipped' in toRun) return { outcome: 'done', fed: `skipped: ${toRun.skipped}` };

    const stopTimer = this.metrics.jobDuration.startTimer({ job_type: jobType });
    try {
      let fed: string;
      if (toRun) {
        const result = await this.runner.run(toRun.context, toRun.recorded);
        this.faults.crashIfArmed('in-job', jobType);
        await this.faults.delayIfArmed('slow-job', jobType);
        fed = await this.outcomes.completed(jobId, result);
      } else {
        const done = await this.runner.runAndComplete(jobId);
        if ('skipped' in done) return { outcome: 'done', fed: `skipped: ${done.skipped}` };
        // Effect and completion are committed together: a crash from here on repeats nothing.
        this.faults.crashIfArmed('in-job', jobType);
        await this.faults.delayIfArmed('slow-job', jobType);
        fed = done.fed;
      }
      stopTimer({ outcome: 'completed' });
      return { outcome: 'done', fed };
    } catch (err) {
      if (err instanceof JobNotReadyError) {
        stopTimer({ outcome: 'delayed' });
        return { outcome: 'not-ready', error: err };
      }
      if (err instanceof JobBpmnError) {
        stopTimer({ outcome: 'bpmn-error' });
        return {
          outcome: 'done',
          fed: await this.outcomes.thrown(jobId, err.errorCode, err.message, err.variables),
        };
      }
      stopTimer({ outcome: 'failed' });
      return { outcome: 'failed', error: err, left: await this.reportFailure(jobId, jobType, err) };
    }
  }

  /**
   * Count the failed attempt on the job row and report it; the row decides whether it was the last one. A job no
   * longer pending (finished meanwhile by another delivery) has nothing to report. Resolves with the attempts left.
   */
  private async reportFailure(jobId: string, jobType: string, err: unknown): Promise<number> {
    const count = await this.jobs.countAttempt(this.dataSource.manager, jobId);
    if (!count) return 0;
    const final = count.attempts >= count.maxAttempts || err instanceof UnrecoverableError;
    const left = final ? 0 : count.maxAttempts - count.attempts;
    this.metrics.jobFailures.inc({ job_type: jobType, final: String(final) });
    await this.outcomes.failed(
      jobId,
      err instanceof Error ? err.message : String(err),
      count.attempts,
      final,
    );
    return left;
  }

  /**
   * Park the message until the job can run (a taken-over job whose delivery a dead worker still claims): moved
   * to the delayed set with its attempts untouched, so waiting is never counted as failing.
   */
  private async comeBackLater(
    message: Job<QueueMessage>,
    token: string | undefined,
    jobType: string,
    err: JobNotReadyError,
  ): Promise<never> {
    // A little past the moment, so clocks a few milliseconds apart still find the way clear.
    const at = Math.max(err.retryAt.getTime(), Date.now()) + NOT_READY_MARGIN_MS;
    this.logger.log(
      `job ${message.data.jobId} (${jobType}) waits until ${new Date(at).toISOString()}: ${err.message}`,
    );
    await message.moveToDelayed(at, token);
    throw new DelayedError();
  }
}
