import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { InstanceService } from '../instances/instance.service.js';
import { CLOCK, type Clock } from '../platform/clock.js';
import { ConflictError, NotFoundError } from '../platform/errors.js';
import { JobHandlerRegistry } from '../queue/job-handler.port.js';
import type { ActivateJobsDto, ActivatedJobDto } from './external-jobs.dto.js';
import { ExternalJobRepository, type JobLease, type LeasedJob } from './external-job.repository.js';
import { JobCreatedListener } from './job-created-listener.js';

/**
 * Service-task jobs worked by software outside the service (Camunda 8's job workers): the types no handler of
 * the service runs. A worker activates jobs of a type, which leases them to it for `timeoutMs`; it then completes
 * them, fails them (with the retries it leaves them) or throws a BPMN error. Each report takes the instance's lock
 * and goes through the instance service like a built-in worker's.
 *
 * The job key is the capability, as in Camunda: whoever holds it may report. A worker that names itself in the
 * report is refused (409) once its lease lapsed and another activation took the job, so a late worker cannot
 * finish what another now works on. Retries are Camunda's: max_attempts - attempts on the job row.
 */
@Injectable()
export class ExternalJobsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(JobHandlerRegistry) private readonly handlers: JobHandlerRegistry,
    @Inject(ExternalJobRepository) private readonly jobs: ExternalJobRepository,
    @Inject(JobCreatedListener) private readonly created: JobCreatedListener,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Lease up to `maxJobs` jobs of the type. None there and `requestTimeoutMs` given: wait for one (woken when one
   * is created, re-checked every JOB_ACTIVATION_POLL_MS), holding no database connection while waiting.
   */
  async activate(request: ActivateJobsDto): Promise<ActivatedJobDto[]> {
    if (this.handlers.has(request.type)) {
      throw new ConflictError(
        `job type "${request.type}" is run by the service's own workers: it cannot be activated`,
      );
    }
    const { maxWaitMs, pollMs } = this.config.jobActivation;
    const waitUntil = Date.now() + Math.min(request.requestTimeoutMs ?? 0, maxWaitMs);
    for (;;) {
      // Registered before the read: a job created between the read and the wait still wakes it.
      const created = this.created.register(request.type);
      try {
        const now = this.clock.now();
        const leased = await this.jobs.activate(this.dataSource.manager, {
          jobType: request.type,
          worker: request.worker,
          now,
          leaseUntil: new Date(now.getTime() + request.timeoutMs),
          maxJobs: request.maxJobs,
          fetchVariables: request.fetchVariables,
        });
        if (leased.length > 0) return leased.map((job) => toActivated(job, request.worker));
        const left = waitUntil - Date.now();
        if (left <= 0 || this.created.closed) return [];
        await created.wait(Math.min(left, pollMs));
      } finally {
        created.cancel();
      }
    }
  }

  /** The worker did the job: its variables are merged and the instance goes on. */
  async complete(jobId: string, variables: Record<string, unknown>, worker?: string): Promise<void> {
    await this.report(jobId, worker, (manager) => this.instances.completeJobIn(manager, jobId, variables));
  }

  /**
   * The worker failed the job. With retries left it may be activated again after the back-off; with none it
   * becomes an incident (retried from the incidents API).
   */
  async fail(
    jobId: string,
    failure: { retries: number; errorMessage: string; retryBackOffMs?: number },
    worker?: string,
  ): Promise<{ retries: number; incident: boolean }> {
    return this.report(jobId, worker, async (manager) => {
      const backOff = failure.retryBackOffMs ?? 0;
      const retryAt =
        failure.retries > 0 && backOff > 0 ? new Date(this.clock.now().getTime() + backOff) : null;
      const attempt = await this.jobs.recordFailure(manager, jobId, failure.retries, retryAt);
      await this.instances.failJobIn(manager, jobId, failure.errorMessage, attempt, failure.retries === 0);
      return { retries: failure.retries, incident: failure.retries === 0 };
    });
  }

  /** The work ended in a BPMN error: the error event catching the code takes over, else an incident. */
  async throwError(
    jobId: string,
    thrown: { errorCode: string; errorMessage?: string; variables?: Record<string, unknown> },
    worker?: string,
  ): Promise<'caught' | 'incident'> {
    return this.report(jobId, worker, async (manager) => {
      const outcome = await this.instances.throwJobErrorIn(
        manager,
        jobId,
        thrown.errorCode,
        thrown.errorMessage ?? '',
        thrown.variables ?? {},
      );
      // The job was checked pending under the lock: it cannot have been reported meanwhile.
      if (outcome === 'duplicate') throw new ConflictError(`job ${jobId} is no longer pending`);
      return outcome;
    });
  }

  /** Give a pending job `retries` more attempts from now. */
  async updateRetries(jobId: string, retries: number): Promise<void> {
    await this.report(jobId, undefined, (manager) => this.jobs.setRetries(manager, jobId, retries));
  }

  /**
   * Run a report on a job under its instance's lock, then its row lock (the order every change of an instance
   * takes), once the job is found to be an external one, pending, and not taken from the named worker.
   */
  private async report<T>(
    jobId: string,
    worker: string | undefined,
    work: (manager: EntityManager) => Promise<T>,
  ): Promise<T> {
    const found = await this.jobs.find(this.dataSource.manager, jobId);
    if (!found) throw new NotFoundError(`job ${jobId} does not exist`);
    return this.instances.withInstanceLock(found.instanceId, async (manager) => {
      const job = await this.jobs.lock(manager, jobId);
      if (!job) throw new NotFoundError(`job ${jobId} does not exist`);
      this.assertReportable(job, worker);
      return work(manager);
    });
  }

  private assertReportable(job: JobLease, worker: string | undefined): void {
    if (job.kind !== 'service-task' || this.handlers.has(job.jobType)) {
      throw new ConflictError(`job ${job.id} is run by the service's own workers`);
    }
    if (job.status !== 'pending') throw new ConflictError(`job ${job.id} is ${job.status}`);
    if (worker !== undefined && job.worker !== null && job.worker !== worker) {
      throw new ConflictError(
        `job ${job.id} was activated by worker "${job.worker}" since: "${worker}" no longer holds it`,
      );
    }
  }
}

function toActivated(job: LeasedJob, worker: string): ActivatedJobDto {
  return {
    key: job.id,
    type: job.jobType,
    worker,
    elementId: job.elementId,
    processInstanceKey: job.instanceId,
    businessKey: job.businessKey,
    retries: job.retries,
    deadline: job.leaseUntil.toISOString(),
    customHeaders: job.headers,
    variables: job.variables,
  };
}
