import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import { lockForTransaction } from '../../platform/database/advisory-lock.js';
import { entitiesOf, selectColumns } from '../../platform/database/entity-rows.js';
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
    return this.artifacts(manager, 'WHERE release_id = $1 ORDER BY uploaded_at ASC, name ASC', [releaseId]);
  }

  async findOne(releaseId: string, artifactId: string): Promise<PslArtifactEntity | null> {
    return this.dataSource.getRepository(PslArtifactEntity).findOneBy({ id: artifactId, releaseId });
  }

  /** The release's uploaded (not yet archived) artifacts by name, locked for the rest of the transaction. */
  async lockUploaded(manager: EntityManager, releaseId: string): Promise<PslArtifactEntity[]> {
    return this.artifacts(manager, 'WHERE release_id = $1 AND status = $2 ORDER BY name ASC FOR UPDATE', [
      releaseId,
      'uploaded',
    ]);
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
    return this.artifacts(manager, 'WHERE archive_job_id = $1 ORDER BY name ASC', [jobId]);
  }

  async countArchived(manager: EntityManager, releaseId: string): Promise<number> {
    const rows: Array<{ n: number }> = await manager.query(
      'SELECT count(*)::int AS n FROM psl_artifact WHERE release_id = $1 AND status = $2',
      [releaseId, 'archived'],
    );
    return rows[0]?.n ?? 0;
  }

  async archivedOf(manager: EntityManager, releaseId: string): Promise<PslArtifactEntity[]> {
    return this.artifacts(manager, 'WHERE release_id = $1 AND status = $2 ORDER BY version ASC, name ASC', [
      releaseId,
      'archived',
    ]);
  }

  /**
   * Artifact rows chosen by `clauses` (over `psl_artifact`, from its WHERE on). Plain SQL: the release flow's
   * service tasks (archive, verify, CMDB build, report) read these once each, and the ORM's query building and
   * hydration cost more than the statements.
   */
  private async artifacts(
    manager: EntityManager,
    clauses: string,
    parameters: readonly unknown[],
  ): Promise<PslArtifactEntity[]> {
    const rows: Array<Record<string, unknown>> = await manager.query(
      `SELECT ${selectColumns(manager.connection, PslArtifactEntity)} FROM psl_artifact ${clauses}`,
      [...parameters],
    );
    return entitiesOf(manager.connection, PslArtifactEntity, rows);
  }

  /** Whether any artifact still refers to the blob. */
  async isBlobUsed(manager: EntityManager, sha256: string): Promise<boolean> {
    const used: unknown[] = await manager.query('SELECT 1 FROM psl_artifact WHERE sha256 = $1 LIMIT 1', [
      sha256,
    ]);
    return used.length > 0;
  }
}
