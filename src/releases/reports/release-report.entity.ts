import { Column, Entity, PrimaryColumn } from 'typeorm';

export const REPORT_KINDS = ['release-report', 'delivery-list', 'assessment-report'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** A generated document of a release, kept as Markdown and printable HTML; the latest of a kind is served. */
@Entity('release_report')
export class ReleaseReportEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'release_id', type: 'uuid' })
  releaseId!: string;

  @Column({ type: 'varchar', length: 32 })
  kind!: ReportKind;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  @Column({ type: 'text' })
  markdown!: string;

  @Column({ type: 'text' })
  html!: string;

  @Column({ name: 'generated_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  generatedAt!: Date;
}
