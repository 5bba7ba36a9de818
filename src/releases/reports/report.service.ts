import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { FormService } from '../../definitions/form.service.js';
import { NotFoundError } from '../../platform/errors.js';
import { PslService } from '../psl/psl.service.js';
import { ReleaseService } from '../release.service.js';
import { assessmentReport, deliveryList, releaseReport, type ReportData } from './report-builder.js';
import { toHtml, toMarkdown, type ReportDocument } from './report-document.js';
import { REPORT_KINDS, type ReportKind } from './release-report.entity.js';
import { ReportRepository } from './report.repository.js';

/** The `kind` header of a report.generate task, and what it produces. */
export const GENERATED_BY_KIND: Readonly<Record<string, readonly ReportKind[]>> = {
  'release-report': ['release-report', 'delivery-list'],
  'delivery-list': ['delivery-list'],
  'assessment-report': ['assessment-report'],
};

const BUILDERS: Readonly<Record<ReportKind, (data: ReportData) => ReportDocument>> = {
  'release-report': releaseReport,
  'delivery-list': deliveryList,
  'assessment-report': assessmentReport,
};

/** The forms whose labels the reports print even when no step of the release used them. */
const REPORT_FORMS = [
  'release-report',
  'release-strategy',
  'external-test-report',
  'release-assessment-report',
];

/** Reports of a release (发布报告, 产品交付列表, 发布评估报告), built from the record and kept with it. */
@Injectable()
export class ReportService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ReportRepository) private readonly repository: ReportRepository,
    @Inject(PslService) private readonly psl: PslService,
    @Inject(ReleaseService) private readonly releases: ReleaseService,
    @Inject(FormService) private readonly forms: FormService,
  ) {}

  /** report.generate: build and store the documents of `kind`; a job stores each document once. */
  async generate(
    manager: EntityManager,
    job: { jobId: string; releaseId: string; kind: string },
  ): Promise<Array<{ kind: ReportKind; generatedAt: Date; bytes: number }>> {
    const kinds = GENERATED_BY_KIND[job.kind];
    if (!kinds) throw new UnknownReportKindError(`unknown report kind "${job.kind}"`);
    const stored = await this.repository.ofJob(manager, job.jobId);
    const missing = kinds.filter((k) => !stored.some((s) => s.kind === k));
    if (missing.length > 0) {
      const data = await this.data(manager, job.releaseId);
      await manager.transaction(async (tx) => {
        for (const kind of missing) {
          const doc = BUILDERS[kind](data);
          await this.repository.store(tx, {
            id: randomUUID(),
            releaseId: job.releaseId,
            kind,
            jobId: job.jobId,
            markdown: toMarkdown(doc),
            html: toHtml(doc),
          });
        }
      });
    }
    return (await this.repository.ofJob(manager, job.jobId)).map((r) => ({
      kind: r.kind,
      generatedAt: r.generatedAt,
      bytes: Buffer.byteLength(r.markdown),
    }));
  }

  /** GET /api/releases/:id/reports/:kind: the latest generated document of the kind. */
  async latest(releaseIdOrNumber: string, kind: string, format: 'md' | 'html') {
    if (!(REPORT_KINDS as readonly string[]).includes(kind)) {
      throw new NotFoundError(`there is no report kind "${kind}" (one of ${REPORT_KINDS.join(', ')})`);
    }
    const release = await this.releases.find(releaseIdOrNumber);
    const report = await this.repository.latest(this.dataSource.manager, release.id, kind as ReportKind);
    if (!report) {
      throw new NotFoundError(`the ${kind} of ${release.number} has not been generated yet`);
    }
    return {
      filename: `${release.number}-${kind}.${format}`,
      contentType: format === 'md' ? 'text/markdown; charset=utf-8' : 'text/html; charset=utf-8',
      body: format === 'md' ? report.markdown : report.html,
      generatedAt: report.generatedAt,
    };
  }

  /** The labels of the forms the steps were completed with. */
  private async labelsOf(
    steps: ReadonlyArray<{ formKey: string | null }>,
  ): Promise<Record<string, Record<string, string>>> {
    const formIds = [
      ...new Set([...steps.map((s) => s.formKey), ...REPORT_FORMS].filter((k): k is string => !!k)),
    ];
    const labels = await Promise.all(formIds.map((formId) => this.forms.labels(formId)));
    return Object.fromEntries(formIds.map((formId, i) => [formId, labels[i]!]));
  }

  private async data(manager: EntityManager, releaseId: string): Promise<ReportData> {
    const release = await this.repository.release(manager, releaseId);
    if (!release) throw new Error(`release ${releaseId} does not exist`);
    const [variables, steps, artifacts, cmdbChanges, deliveries, incidents, timeline] = await Promise.all([
      this.repository.variables(manager, release.instanceId),
      this.repository.steps(manager, release.instanceId),
      this.psl.artifactsOf(manager, release.id),
      this.repository.cmdbChanges(manager, release.id),
      this.repository.deliveries(manager, release.id),
      this.repository.incidents(manager, release.instanceId),
      this.repository.timeline(manager, release.instanceId),
    ]);
    return {
      release,
      variables,
      steps,
      artifacts,
      cmdbChanges,
      deliveries,
      incidents,
      timeline,
      generatedAt: new Date(),
      labels: await this.labelsOf(steps),
    };
  }
}

/** A definition asks for a report this service does not make: retrying cannot help. */
export class UnknownReportKindError extends Error {}
