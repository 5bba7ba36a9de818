import type { JsonObject } from '../platform/json.js';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export const RELEASE_CLASSES = ['standard', 'emergency', 'major'] as const;
export type ReleaseClass = (typeof RELEASE_CLASSES)[number];

export const RELEASE_SOURCES = ['hardware', 'software', 'project-info', 'document', 'other'] as const;
export type ReleaseSource = (typeof RELEASE_SOURCES)[number];

/** in-progress while its flow runs; then the status its end event sets, or cancelled. */
export type ReleaseStatus = 'in-progress' | 'closed' | 'rejected' | 'rolled-back' | 'cancelled';

@Entity('release')
export class ReleaseEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** REL-<year>-<sequence>, sequential per year and never reused. */
  @Column({ type: 'varchar', length: 32, unique: true })
  number!: string;

  @Column({ name: 'class', type: 'varchar', length: 16 })
  releaseClass!: ReleaseClass;

  @Column({ type: 'varchar', length: 16 })
  source!: ReleaseSource;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: ReleaseStatus;

  @Column({ name: 'instance_id', type: 'uuid', nullable: true })
  instanceId!: string | null;

  /** The release request form as filed. */
  @Column({ type: 'jsonb' })
  request!: JsonObject;

  @Column({ name: 'created_by', type: 'varchar', length: 255, nullable: true })
  createdBy!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  /** 版本号 VN, allocated by the network engineer by the strategy's rule. */
  @Column({ name: 'version_number', type: 'varchar', length: 64, nullable: true })
  versionNumber!: string | null;

  /** When it is planned to be installed: the plan's end (or start), else the request's planned time. */
  @Column({ name: 'planned_at', type: 'timestamptz', nullable: true })
  plannedAt!: Date | null;

  /** When its installation first succeeded. */
  @Column({ name: 'installed_at', type: 'timestamptz', nullable: true })
  installedAt!: Date | null;

  @Column({ name: 'rolled_back', type: 'boolean', default: false })
  rolledBack!: boolean;

  /** When a step of it was escalated because nobody decided it in time (null: never). */
  @Column({ name: 'escalated_at', type: 'timestamptz', nullable: true })
  escalatedAt!: Date | null;
}
