import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';
import { JobEffects } from './job-effects.service.js';
import { JobHandlerRegistry, type JobContext, type JobResult } from './job-handler.port.js';

/**
 * Runs a job's handler at most once to completion: the job-effect record (job_effect) is kept here, not by each
 * handler, so a job delivered again after its handler finished gets the recorded result without running again.
 */
@Injectable()
export class JobRunner {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(JobHandlerRegistry) private readonly handlers: JobHandlerRegistry,
    @Inject(JobEffects) private readonly effects: JobEffects,
  ) {}

  async run(context: JobContext): Promise<JobResult> {
    const handler = this.handlers.get(context.jobType);
    if (!handler) throw new UnrecoverableError(`no handler for job type ${context.jobType}`);
    const manager = this.dataSource.manager;
    return this.effects.once(context, manager, () => handler.handle(context, manager));
  }
}
