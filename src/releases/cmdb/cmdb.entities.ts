import type { JsonObject } from '../../platform/json.js';
import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/** A configuration item (配置项) of the built-in CMDB. */
@Entity('cmdb_item')
export class CmdbItemEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** software, hardware, document, other, or what an administrator set. */
  @Column({ type: 'varchar', length: 64 })
  type!: string;

  /** Unique: releases name their affected items by it. */
  @Column({ type: 'varchar', length: 200, unique: true })
  name!: string;

  @Column({ name: 'current_version', type: 'varchar', length: 64, nullable: true })
  currentVersion!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  owner!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  attributes!: JsonObject;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}

export type CmdbChange = 'build' | 'install' | 'rollback' | 'manual';

/** One entry of an item's version history, with the release (and job) that made it. */
@Entity('cmdb_item_version')
export class CmdbItemVersionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'item_id', type: 'uuid' })
  itemId!: string;

  @Column({ type: 'varchar', length: 16 })
  change!: CmdbChange;

  @Column({ type: 'varchar', length: 64, nullable: true })
  version!: string | null;

  @Column({ name: 'previous_version', type: 'varchar', length: 64, nullable: true })
  previousVersion!: string | null;

  @Column({ name: 'release_id', type: 'uuid', nullable: true })
  releaseId!: string | null;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  actor!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details!: JsonObject;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;
}

/** source --type--> target, e.g. billing-api --depends-on--> billing-db. */
@Entity('cmdb_relation')
export class CmdbRelationEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id!: string;

  @Column({ name: 'source_id', type: 'uuid' })
  sourceId!: string;

  @Column({ name: 'target_id', type: 'uuid' })
  targetId!: string;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

/** The version an item had before a release first touched it: what a rollback restores. */
@Entity('cmdb_baseline')
export class CmdbBaselineEntity {
  @PrimaryColumn({ name: 'release_id', type: 'uuid' })
  releaseId!: string;

  @PrimaryColumn({ name: 'item_id', type: 'uuid' })
  itemId!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  version!: string | null;

  @Column({ name: 'job_id', type: 'uuid', nullable: true })
  jobId!: string | null;

  @Column({ name: 'captured_at', type: 'timestamptz', default: () => 'now()' })
  capturedAt!: Date;
}
