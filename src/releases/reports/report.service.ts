import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { FormService } from '../../definitions/form.service.js';
import { CLOCK, type Clock } from '../../platform/clock.js';
import { NotFoundError } from '../../platform/errors.js';
import { PslService } from '../psl/psl.service.js';
import type { ReleaseEntity } from '../release.entity.js';
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

/**
 * What a release's close generates from its final record: the release report and the delivery list, and for a
 * major release the assessment report (its flow also drafts one for the project manager's assessment).
 */
export function reportsAtClose(release: Pick<ReleaseEntity, 'releaseClass'>): readonly ReportKind[] {
  return release.releaseClass === 'major'
    ? ['release-report', 'delivery-list', 'assessment-report']
    : ['release-report', 'delivery-list'];
}

/**
 * Reports of a release (发布报告, 产品交付列表, 发布评估报告), built from the record and kept with it: by a
 * report.generate task, and when the release closes, from its final record (status, close time, the project
 * manager's summary, the whole timeline) in the transaction that closes it.
 */
@Injectable()
export class ReportService implements OnModuleInit {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ReportRepository) private readonly repository: ReportRepository,
    @Inject(PslService) private readonly psl: PslService,
    @Inject(ReleaseService) private readonly releases: ReleaseService,
    @Inject(FormService) private readonly forms: FormService,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    // A closed release's reports say so: generated once its record is final, in the transaction that closed it
    // (a release that ends once gets them once; a rollback of that transaction takes them back with the end).
    this.releases.onReleaseEnded(async (manager, release) => {
      if (release.status !== 'closed') return;
      // The record as the end just wrote it, under the instance's lock: not read again.
      await this.store(manager, release, reportsAtClose(release), null);
    });
  }

  /**
   * report.generate: build and store the documents of `kind`; a job stores each document once. `release`: the
   * record as the caller already read it in this transaction (then it is not read again).
   */
  async generate(
    manager: EntityManager,
    job: { jobId: string; releaseId: string; kind: string; release?: ReleaseEntity },
  ): Promise<Array<{ kind: ReportKind; generatedAt: Date; bytes: number }>> {
    const kinds = GENERATED_BY_KIND[job.kind];
    if (!kinds) throw new UnknownReportKindError(`unknown report kind "${job.kind}"`);
    const stored = await this.repository.ofJob(manager, job.jobId);
    const missing = kinds.filter((k) => !stored.some((s) => s.kind === k));
    if (missing.length > 0) {
      await manager.transaction(async (tx) => {
        const release =
          job.release?.id === job.releaseId ? job.release : await this.repository.release(tx, job.releaseId);
        if (!release) throw new Error(`release ${job.releaseId} does not exist`);
        await this.store(tx, release, missing, job.jobId);
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
      const when = release.status === 'in-progress' ? ': it is generated when the release closes' : '';
      throw new NotFoundError(`the ${kind} of ${release.number} has not been generated${when}`);
    }
    return {
      filename: `${release.number}-${kind}.${format}`,
      contentType: format === 'md' ? 'text/markdown; charset=utf-8' : 'text/html; charset=utf-8',
      body: format === 'md' ? report.markdown : report.html,
      generatedAt: report.generatedAt,
    };
  }

  /** Build the documents of `kinds` from the release's record and what `manager` sees of the rest, and keep them. */
  private async store(
    manager: EntityManager,
    release: ReleaseEntity,
    kinds: readonly ReportKind[],
    jobId: string | null,
  ): Promise<void> {
    const releaseId = release.id;
    const data = await this.data(manager, release, this.clock.now());
    for (const kind of kinds) {
      const doc = BUILDERS[kind](data);
      await this.repository.store(manager, {
        id: randomUUID(),
        releaseId,
        kind,
        jobId,
        generatedAt: data.generatedAt,
        markdown: toMarkdown(doc),
        html: toHtml(doc),
      });
    }
  }

  /** The labels of the forms the steps were completed with (read in the caller's transaction). */
  private async labelsOf(
    manager: EntityManager,
    steps: ReadonlyArray<{ formKey: string | null }>,
  ): Promise<Record<string, Record<string, string>>> {
    const formIds = [
      ...new Set([...steps.map((s) => s.formKey), ...REPORT_FORMS].filter((k): k is string => !!k)),
    ];
    return Object.fromEntries(await this.forms.labels(formIds, manager));
  }

  private async data(manager: EntityManager, release: ReleaseEntity, generatedAt: Date): Promise<ReportData> {
    // One after another: in a transaction they share one connection, which takes one query at a time.
    const variables = await this.repository.variables(manager, release.instanceId);
    const steps = await this.repository.steps(manager, release.instanceId);
    const artifacts = await this.psl.artifactsOf(manager, release.id);
    const cmdbChanges = await this.repository.cmdbChanges(manager, release.id);
    const deliveries = await this.repository.deliveries(manager, release.id);
    const incidents = await this.repository.incidents(manager, release.instanceId);
    const timeline = await this.repository.timeline(manager, release.instanceId);
    return {
      release,
      variables,
      steps,
      artifacts,
      cmdbChanges,
      deliveries,
      incidents,
      timeline,
      generatedAt,
      labels: await this.labelsOf(manager, steps),
    };
  }
}

/** A definition asks for a report this service does not make: retrying cannot help. */
export class UnknownReportKindError extends Error {}
