import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { lockForTransaction } from '../../platform/database/advisory-lock.js';
import { pageWindow, type PageRequest } from '../../platform/database/paginate.js';
import { PslArtifactEntity } from './psl-artifact.entity.js';

/** An artifact row as an upload writes it (insert or replace by name). */
export type ArtifactRow = Omit<PslArtifactEntity, 'id'>;

/** All SQL of the product software library's artifact rows; methods taking a manager run in its transaction. */
@Injectable()
export class PslRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Serialise the writers of one blob (uploads, clean-up) until the transaction ends. */
  async lockBlob(manager: EntityManager, sha256: string): Promise<void> {
    await lockForTransaction(manager, `psl:${sha256}`);
  }

  /** The release version's artifacts of these names, locked for the rest of the transaction. */
  async lockByNames(
    manager: EntityManager,
    releaseId: string,
    version: string,
    names: readonly string[],
  ): Promise<Array<Pick<PslArtifactEntity, 'id' | 'name' | 'status' | 'sha256'>>> {
    return manager.query(
      `SELECT id, name, status, sha256 FROM psl_artifact
        WHERE release_id = $1 AND version = $2 AND name = ANY($3::text[]) FOR UPDATE`,
      [releaseId, version, names],
    );
  }

  async insert(manager: EntityManager, row: ArtifactRow): Promise<void> {
    await manager.getRepository(PslArtifactEntity).insert({ id: randomUUID(), ...row });
  }

  async replace(manager: EntityManager, id: string, row: ArtifactRow): Promise<void> {
    await manager.getRepository(PslArtifactEntity).update({ id }, row);
  }

  async findByNames(
    manager: EntityManager,
    releaseId: string,
    version: string,
    names: readonly string[],
  ): Promise<PslArtifactEntity[]> {
    return manager.getRepository(PslArtifactEntity).find({
      where: { releaseId, version, name: In([...names]) },
      order: { name: 'ASC' },
    });
  }

  /** One page of a release's artifacts in upload order, and how many there are. */
  async pageOf(releaseId: string, page: PageRequest): Promise<[PslArtifactEntity[], number]> {
    const { offset, limit } = pageWindow(page);
    return this.dataSource.getRepository(PslArtifactEntity).findAndCount({
      where: { releaseId },
      order: { uploadedAt: 'ASC', name: 'ASC' },
      skip: offset,
      take: limit,
    });
  }

  async allOf(manager: EntityManager, releaseId: string): Promise<PslArtifactEntity[]> {
    return manager
      .getRepository(PslArtifactEntity)
      .find({ where: { releaseId }, order: { uploadedAt: 'ASC', name: 'ASC' } });
  }

  async findOne(releaseId: string, artifactId: string): Promise<PslArtifactEntity | null> {
    return this.dataSource.getRepository(PslArtifactEntity).findOneBy({ id: artifactId, releaseId });
  }

  /** The release's uploaded (not yet archived) artifacts by name, locked for the rest of the transaction. */
  async lockUploaded(manager: EntityManager, releaseId: string): Promise<PslArtifactEntity[]> {
    return manager
      .getRepository(PslArtifactEntity)
      .createQueryBuilder('a')
      .setLock('pessimistic_write')
      .where('a.release_id = :releaseId AND a.status = :status', { releaseId, status: 'uploaded' })
      .orderBy('a.name')
      .getMany();
  }

  async findInVersion(
    manager: EntityManager,
    releaseId: string,
    version: string,
    name: string,
  ): Promise<PslArtifactEntity | null> {
    return manager.getRepository(PslArtifactEntity).findOneBy({ releaseId, version, name });
  }

  /** The artifacts become the archived package of `version`, by this archive job, at the time `at`. */
  async markArchived(
    manager: EntityManager,
    ids: readonly string[],
    jobId: string,
    version: string,
    at: Date,
  ) {
    await manager.query(
      `UPDATE psl_artifact SET status = 'archived', archived_at = $4, archive_job_id = $2, version = $3
        WHERE id = ANY($1::uuid[])`,
      [ids, jobId, version, at],
    );
  }

  async archivedBy(manager: EntityManager, jobId: string): Promise<PslArtifactEntity[]> {
    return manager
      .getRepository(PslArtifactEntity)
      .find({ where: { archiveJobId: jobId }, order: { name: 'ASC' } });
  }

  async countArchived(manager: EntityManager, releaseId: string): Promise<number> {
    return manager.getRepository(PslArtifactEntity).countBy({ releaseId, status: 'archived' });
  }

  async archivedOf(manager: EntityManager, releaseId: string): Promise<PslArtifactEntity[]> {
    return manager.getRepository(PslArtifactEntity).find({
      where: { releaseId, status: 'archived' },
      order: { version: 'ASC', name: 'ASC' },
    });
  }

  /** Whether any artifact still refers to the blob. */
  async isBlobUsed(manager: EntityManager, sha256: string): Promise<boolean> {
    const used: unknown[] = await manager.query('SELECT 1 FROM psl_artifact WHERE sha256 = $1 LIMIT 1', [
      sha256,
    ]);
    return used.length > 0;
  }
}
