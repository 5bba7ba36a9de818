import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';
import { JobEffects } from './job-effects.service.js';
import { JobHandlerRegistry, type JobContext, type JobHandler, type JobResult } from './job-handler.port.js';
import { JOB_OUTCOMES, type JobCompletion, type JobOutcomes, type JobSkipped } from './job-outcome.port.js';

/**
 * Runs a job's handler at most once to completion: the job-effect record (job_effect) is kept here, not by each
 * handler, so a job delivered again after its handler finished gets the recorded result without running again.
 * `runAndComplete` for handlers registered as database-only, `run` then the completion for those with peers.
 */
@Injectable()
export class JobRunner {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(JobHandlerRegistry) private readonly handlers: JobHandlerRegistry,
    @Inject(JobEffects) private readonly effects: JobEffects,
    @Inject(JOB_OUTCOMES) private readonly outcomes: JobOutcomes,
  ) {}

  /**
   * Run the handler unless its result is recorded, and record it; the caller feeds the completion back after.
   * `recorded`: the recorded result as the caller read it with the context (null: none); undefined: look here.
   */
  async run(context: JobContext, recorded?: JobResult | null): Promise<JobResult> {
    const handler = this.handler(context.jobType);
    const manager = this.dataSource.manager;
    return this.effects.once(context, manager, () => handler.handle(context, manager), recorded);
  }

  /**
   * Run the handler of a job whose effects are database writes only, record its result and complete the job, in
   * one transaction under the instance's lock: a delivery after the commit finds the job done.
   */
  async runAndComplete(jobId: string): Promise<JobCompletion | JobSkipped> {
    return this.outcomes.completeWithin(jobId, ({ context, recorded }, manager) => {
      const handler = this.handler(context.jobType);
      return this.effects.once(context, manager, () => handler.handle(context, manager), recorded);
    });
  }

  private handler(jobType: string): JobHandler {
    const handler = this.handlers.get(jobType);
    if (!handler) throw new UnrecoverableError(`no handler for job type ${jobType}`);
    return handler;
  }
}
