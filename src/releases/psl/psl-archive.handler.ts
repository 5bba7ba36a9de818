import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { PslService } from './psl.service.js';
import type { JobContext, JobHandler, JobResult } from '../../queue/job-handler.port.js';
import { JobHandlerFor } from '../../queue/job-handler.decorators.js';
import { requireReleaseRef } from '../release-facts.js';

/**
 * psl.archive (产品入库): the release's uploaded package files become its approved, immutable version in the
 * product library, each with its SHA-256 in the delivery list. No files: a no-op recorded as such, unless
 * PSL_REQUIRE_PACKAGE is on and the release is of a source that delivers a package (then it fails).
 */
@Injectable()
@JobHandlerFor({ effects: 'database' })
export class PslArchiveJobHandler implements JobHandler {
  readonly jobType = 'psl.archive';

  constructor(@Inject(PslService) private readonly psl: PslService) {}

  async handle(context: JobContext, manager: EntityManager): Promise<JobResult> {
    const release = await requireReleaseRef(context, manager);
    const outcome = await this.psl.archive(manager, {
      jobId: context.jobId,
      releaseId: release.id,
      version: release.version,
      source: release.source,
    });
    return { outcome: { ...outcome } };
  }
}
