import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { JobEffectRepository } from './job-effect.repository.js';
import type { JobContext, JobResult } from './job-handler.port.js';

/**
 * The row in job_effect that says a job's handler finished, with the result it handed back. A job delivered
 * again (a retry after the feedback failed, a worker that died before reporting, a duplicate message) finds
 * the row and returns the same result without doing anything. The effects themselves are keyed by the job id
 * too (unique constraints, the delivery ledger), so a run cut off half-way is finished, not repeated, by the next.
 */
@Injectable()
export class JobEffects {
  constructor(@Inject(JobEffectRepository) private readonly repository: JobEffectRepository) {}

  /**
   * Run `work` unless the job's result is recorded, and record what it hands back. `recorded`: the recorded result
   * as the caller already read it (null: none), so it is not read again; undefined: read it here.
   */
  async once(
    context: JobContext,
    manager: EntityManager,
    work: () => Promise<JobResult>,
    recorded?: JobResult | null,
  ): Promise<JobResult> {
    const done = recorded === undefined ? await this.repository.recorded(manager, context.jobId) : recorded;
    if (done) return done;
    const result = await work();
    if (await this.repository.record(manager, context, result)) return result;
    // A run of the same job at the same time finished first: its result is the one (both did the same work).
    return (await this.repository.recorded(manager, context.jobId)) ?? result;
  }
}
