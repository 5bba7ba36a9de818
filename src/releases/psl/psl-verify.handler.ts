import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PslService } from './psl.service.js';
import type { JobContext, JobHandler, JobResult } from '../../queue/job-handler.port.js';
import { JobHandlerFor } from '../../queue/job-handler.decorators.js';
import { requireReleaseRef } from '../release-facts.js';

/**
 * psl.verify (完整性校验): recomputes the SHA-256 of every archived file of the release from the library
 * before install. A mismatch (or a missing file) fails the step: retries, then an incident, and the install
 * task is not reached.
 */
@Injectable()
@JobHandlerFor()
export class PslVerifyJobHandler implements JobHandler {
  readonly jobType = 'psl.verify';

  constructor(@Inject(PslService) private readonly psl: PslService) {}

  async handle(context: JobContext, manager: EntityManager): Promise<JobResult> {
    const release = await requireReleaseRef(context, manager);
    const outcome = await this.psl.verify(manager, { releaseId: release.id, source: release.source });
    return { outcome: { ...outcome } };
  }
}
