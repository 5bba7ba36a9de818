import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ArtifactStatus = 'uploaded' | 'archived';

/** One file of a release's package in the product software library (产品库), stored by its SHA-256. */
@Entity('psl_artifact')
export class PslArtifactEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'release_id', type: 'uuid' })
  releaseId!: string;

  /** The release's version number (版本号), or its release number until one is allocated. */
  @Column({ type: 'varchar', length: 64 })
  version!: string;

  @Column({ type: 'varchar', length: 255 })
  name!: string;

  /** bigint: TypeORM hands it back as a string. */
  @Column({ type: 'bigint' })
  size!: string;

  @Column({ type: 'char', length: 64 })
  sha256!: string;

  @Column({ name: 'media_type', type: 'varchar', length: 255 })
  mediaType!: string;

  /** uploaded: may still be replaced; archived (by psl.archive): approved and immutable. */
  @Column({ type: 'varchar', length: 16 })
  status!: ArtifactStatus;

  @Column({ name: 'uploaded_by', type: 'varchar', length: 255, nullable: true })
  uploadedBy!: string | null;

  @Column({ name: 'uploaded_at', type: 'timestamptz', default: () => 'now()' })
  uploadedAt!: Date;

  @Column({ name: 'archived_at', type: 'timestamptz', nullable: true })
  archivedAt!: Date | null;

  @Column({ name: 'archive_job_id', type: 'uuid', nullable: true })
  archiveJobId!: string | null;
}
