import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { JobContext, JobResult } from '../queue/job-handler.port.js';
import type { JobOutcomes, JobSkipped } from '../queue/job-outcome.port.js';
import { JobRepository } from '../queue/index.js';
import { InstanceService } from './instance.service.js';
import { InstanceRepository } from './instance.repository.js';

/** The instances' side of the queue: a job's context comes from its instance, its outcome advances it. */
@Injectable()
export class InstanceJobOutcomes implements JobOutcomes {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(JobRepository) private readonly jobs: JobRepository,
    @Inject(InstanceRepository) private readonly repository: InstanceRepository,
    @Inject(InstanceService) private readonly instances: InstanceService,
  ) {}

  async context(jobId: string): Promise<JobContext | JobSkipped> {
    const job = await this.jobs.find(this.dataSource.manager, jobId);
    if (!job || job.status !== 'pending') return { skipped: 'already done' };
    const instance = await this.repository.find(this.dataSource.manager, job.instanceId);
    if (!instance || instance.status !== 'running') return { skipped: 'instance not running' };
    return {
      jobId: job.id,
      jobType: job.jobType,
      instanceId: job.instanceId,
      businessKey: instance.businessKey,
      elementId: job.elementId,
      headers: job.headers,
      variables: instance.variables,
      attempt: job.attempts + 1,
    };
  }

  completed(jobId: string, result: JobResult): Promise<'completed' | 'duplicate'> {
    return this.instances.completeJob(jobId, result.variables ?? {}, result.outcome ?? {});
  }

  failed(jobId: string, error: string, attempt: number, final: boolean): Promise<void> {
    return this.instances.failJob(jobId, error, attempt, final);
  }

  timerDue(jobId: string): Promise<'fired' | 'early' | 'duplicate'> {
    return this.instances.fireTimer(jobId);
  }
}
