import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { EntityManager } from 'typeorm';
import { ReportService, UnknownReportKindError } from './report.service.js';
import type { JobContext, JobHandler, JobResult } from '../../queue/job-handler.port.js';
import { JobHandlerFor } from '../../queue/job-handler.decorators.js';
import { requireReleaseFacts } from '../release-facts.js';

/**
 * report.generate (header `kind`): `release-report` builds the release report and the delivery list,
 * `assessment-report` the release assessment report; each as Markdown and printable HTML, kept with the
 * release (GET /api/releases/:id/reports/:kind).
 */
@Injectable()
@JobHandlerFor()
export class ReportGenerateJobHandler implements JobHandler {
  readonly jobType = 'report.generate';

  constructor(@Inject(ReportService) private readonly reports: ReportService) {}

  async handle(context: JobContext, manager: EntityManager): Promise<JobResult> {
    const facts = await requireReleaseFacts(context, manager);
    try {
      const generated = await this.reports.generate(manager, {
        jobId: context.jobId,
        releaseId: facts.release.id,
        release: facts.release,
        kind: context.headers.kind ?? 'release-report',
      });
      return {
        outcome: {
          reports: generated.map((g) => ({
            kind: g.kind,
            bytes: g.bytes,
            url: `/api/releases/${facts.release.id}/reports/${g.kind}`,
          })),
        },
      };
    } catch (err) {
      if (err instanceof UnknownReportKindError) throw new UnrecoverableError(err.message);
      throw err;
    }
  }
}
