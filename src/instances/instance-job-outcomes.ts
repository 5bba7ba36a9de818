import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { JobResult } from '../queue/job-handler.port.js';
import type { JobCompletion, JobOutcomes, JobSkipped, JobToRun } from '../queue/job-outcome.port.js';
import { InstanceService } from './instance.service.js';
import { InstanceJobRepository, type JobWithInstance } from './instance-job.repository.js';
import { TimerStartService } from './timer-start.service.js';

/** The instances' side of the queue: a job's context comes from its instance, its outcome advances it. */
@Injectable()
export class InstanceJobOutcomes implements JobOutcomes {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(InstanceJobRepository) private readonly jobs: InstanceJobRepository,
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(TimerStartService) private readonly timerStarts: TimerStartService,
  ) {}

  async context(jobId: string): Promise<JobToRun | JobSkipped> {
    return toRun(await this.jobs.find(this.dataSource.manager, jobId));
  }

  completed(jobId: string, result: JobResult): Promise<'completed' | 'duplicate'> {
    return this.instances.completeJob(jobId, result.variables ?? {}, result.outcome ?? {});
  }

  /** Through `InstanceService.transaction`, so the relay hears of the commit (the completion's new jobs). */
  completeWithin(
    jobId: string,
    work: (job: JobToRun, manager: EntityManager) => Promise<JobResult>,
  ): Promise<JobCompletion | JobSkipped> {
    return this.instances.transaction(async (manager) => {
      const job = toRun(await this.jobs.lock(manager, jobId));
      if ('skipped' in job) return job;
      const result = await work(job, manager);
      const fed = await this.instances.completeJobIn(
        manager,
        jobId,
        result.variables ?? {},
        result.outcome ?? {},
      );
      return { result, fed };
    });
  }

  failed(jobId: string, error: string, attempt: number, final: boolean): Promise<void> {
    return this.instances.failJob(jobId, error, attempt, final);
  }

  thrown(
    jobId: string,
    errorCode: string,
    errorMessage: string,
    variables: Record<string, unknown>,
  ): Promise<'caught' | 'incident' | 'duplicate'> {
    return this.instances.throwJobError(jobId, errorCode, errorMessage, variables);
  }

  /** An instance's timer wakes its instance; a timer start event's starts one. */
  async timerDue(jobId: string): Promise<'fired' | 'early' | 'duplicate'> {
    if (await this.timerStarts.owns(jobId, this.dataSource.manager)) return this.timerStarts.fire(jobId);
    return this.instances.fireTimer(jobId);
  }
}

function toRun(job: JobWithInstance | null): JobToRun | JobSkipped {
  if (!job || job.status !== 'pending') return { skipped: 'already done' };
  if (job.instanceStatus !== 'running') return { skipped: 'instance not running' };
  return {
    context: {
      jobId: job.id,
      jobType: job.jobType,
      instanceId: job.instanceId,
      businessKey: job.businessKey,
      elementId: job.elementId,
      headers: job.headers,
      variables: job.variables,
      attempt: job.attempts + 1,
    },
    recorded: job.recorded,
  };
}
