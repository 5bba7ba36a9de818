import type { ReadStream } from 'node:fs';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Request } from 'express';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { CLOCK, type Clock } from '../../platform/clock.js';
import { ConflictError, NotFoundError } from '../../platform/errors.js';
import { isUniqueViolation } from '../../platform/database/errors.js';
import type { ReleaseEntity } from '../release.entity.js';
import { ReleaseService } from '../release.service.js';
import type { PslArtifactEntity } from './psl-artifact.entity.js';
import { UUID } from '../../platform/uuid.js';
import { PslRepository } from './psl.repository.js';
import { PslStore } from './psl-store.js';
import { receiveFiles } from './psl-upload.js';

/** A line of the delivery list (产品交付列表). */
export interface ArtifactView {
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly size: number;
  readonly sha256: string;
  readonly mediaType: string;
  readonly status: 'uploaded' | 'archived';
  readonly uploadedBy: string | null;
  readonly uploadedAt: Date;
  readonly archivedAt: Date | null;
}

export interface ArchiveOutcome {
  readonly version: string;
  readonly archived: ReadonlyArray<{ name: string; size: number; sha256: string }>;
  readonly note?: string;
}

export interface VerifyOutcome {
  readonly verified: ReadonlyArray<{ name: string; version: string; sha256: string; ok: boolean }>;
  readonly note?: string;
}

/** No package where one is required, or a package that does not match its checksum: the step fails. */
export class PackageCheckError extends Error {}

/** Sources whose releases deliver a package (a document or project-info release may deliver none). */
const PACKAGE_SOURCES = new Set(['hardware', 'software', 'other']);

/**
 * The product software library (产品库, PSL): package files of releases, content-addressed by SHA-256.
 * Uploads may replace a file of the same name until psl.archive approves the set; from then on the files
 * of that release version are immutable (the same name again is 409). psl.verify recomputes every archived
 * file's checksum before install.
 */
@Injectable()
export class PslService {
  private readonly logger = new Logger(PslService.name);

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(PslRepository) private readonly repository: PslRepository,
    @Inject(ReleaseService) private readonly releases: ReleaseService,
    @Inject(PslStore) private readonly store: PslStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** POST /api/releases/:id/artifacts: stream the form's files into the library, all or nothing. */
  async upload(releaseIdOrNumber: string, request: Request, actor: string | null): Promise<ArtifactView[]> {
    const release = await this.release(releaseIdOrNumber);
    if (release.status !== 'in-progress') {
      throw new ConflictError(`release ${release.number} is ${release.status}: its package cannot change`);
    }
    const version = release.versionNumber ?? release.number;
    const files = await receiveFiles(request, this.store, this.config.serviceTasks.pslMaxUploadBytes, (f) =>
      this.discard(f.filter((x) => x.created).map((x) => x.sha256)),
    );
    let replaced: string[] = [];
    try {
      const saved = await this.dataSource.transaction(async (tx) => {
        for (const sha256 of [...new Set(files.map((f) => f.sha256))].sort()) {
          await this.repository.lockBlob(tx, sha256);
          if ((await this.store.size(sha256)) === undefined) {
            throw new ConflictError('the library changed during the upload: send it again');
          }
        }
        const names = files.map((f) => f.name);
        const existing = await this.repository.lockByNames(tx, release.id, version, names);
        const frozen = existing.filter((a) => a.status === 'archived');
        if (frozen.length > 0) {
          throw new ConflictError(
            `${frozen.map((a) => a.name).join(', ')} ${frozen.length > 1 ? 'are' : 'is'} already archived in version ${version} of ${release.number}: an approved version is immutable`,
          );
        }
        replaced = existing.map((a) => a.sha256);
        for (const file of files) {
          const previous = existing.find((a) => a.name === file.name);
          const row = {
            releaseId: release.id,
            version,
            name: file.name,
            size: String(file.size),
            sha256: file.sha256,
            mediaType: file.mediaType.slice(0, 255),
            status: 'uploaded' as const,
            uploadedBy: actor,
            uploadedAt: this.clock.now(),
            archivedAt: null,
            archiveJobId: null,
          };
          if (previous) await this.repository.replace(tx, previous.id, row);
          else await this.repository.insert(tx, row);
        }
        return this.repository.findByNames(tx, release.id, version, names);
      });
      await this.discard(replaced.filter((sha) => !files.some((f) => f.sha256 === sha)));
      return saved.map(view);
    } catch (err) {
      await this.discard(files.filter((f) => f.created).map((f) => f.sha256));
      if (isUniqueViolation(err)) {
        throw new ConflictError('another upload of the same file name to this release version came first');
      }
      throw err;
    }
  }

  /** GET /api/releases/:id/artifacts: the delivery list. */
  async deliveryList(releaseIdOrNumber: string, page = 1, pageSize = 200) {
    const release = await this.release(releaseIdOrNumber);
    const [rows, total] = await this.repository.pageOf(release.id, { page, pageSize });
    return {
      release: { id: release.id, number: release.number, version: release.versionNumber ?? release.number },
      items: rows.map(view),
      total,
      page,
      pageSize,
    };
  }

  /** The artifacts of a release (for reports). */
  async artifactsOf(manager: EntityManager, releaseId: string): Promise<ArtifactView[]> {
    return (await this.repository.allOf(manager, releaseId)).map(view);
  }

  /** GET …/artifacts/:artifactId/content */
  async open(
    releaseIdOrNumber: string,
    artifactId: string,
  ): Promise<{ artifact: ArtifactView; stream: ReadStream }> {
    const release = await this.release(releaseIdOrNumber);
    const artifact = UUID.test(artifactId) ? await this.repository.findOne(release.id, artifactId) : null;
    if (!artifact) throw new NotFoundError(`release ${release.number} has no artifact ${artifactId}`);
    if ((await this.store.size(artifact.sha256)) === undefined) {
      throw new NotFoundError(`the file of artifact ${artifact.name} is missing from the library`);
    }
    return { artifact: view(artifact), stream: this.store.open(artifact.sha256) };
  }

  /** psl.archive: the uploaded files of the release become its approved, immutable package. */
  async archive(
    manager: EntityManager,
    job: { jobId: string; releaseId: string; version: string; source: string },
  ): Promise<ArchiveOutcome> {
    const archived = await manager.transaction(async (tx) => {
      const pending = await this.repository.lockUploaded(tx, job.releaseId);
      for (const artifact of pending) {
        const size = await this.store.size(artifact.sha256);
        if (size !== Number(artifact.size)) {
          throw new PackageCheckError(
            `${artifact.name}: the stored file ${size === undefined ? 'is missing' : `has ${size} bytes, not ${artifact.size}`}`,
          );
        }
        if (artifact.version !== job.version) {
          const clash = await this.repository.findInVersion(tx, job.releaseId, job.version, artifact.name);
          if (clash) {
            throw new PackageCheckError(
              `${artifact.name} exists twice in version ${job.version}: remove one upload and retry`,
            );
          }
        }
      }
      if (pending.length > 0) {
        await this.repository.markArchived(
          tx,
          pending.map((a) => a.id),
          job.jobId,
          job.version,
          this.clock.now(),
        );
      }
      return this.repository.archivedBy(tx, job.jobId);
    });
    const outcome = {
      version: job.version,
      archived: archived.map((a) => ({ name: a.name, size: Number(a.size), sha256: a.sha256 })),
    };
    if (archived.length > 0) return outcome;
    const before = await this.repository.countArchived(manager, job.releaseId);
    if (before > 0) return { ...outcome, note: 'nothing new to archive: the package was archived before' };
    if (this.config.serviceTasks.pslRequirePackage && PACKAGE_SOURCES.has(job.source)) {
      throw new PackageCheckError(
        `no package was uploaded for this ${job.source} release: upload it (POST /api/releases/:id/artifacts), then retry the incident`,
      );
    }
    return { ...outcome, note: 'no package was uploaded: nothing to archive' };
  }

  /** psl.verify: every archived file's SHA-256 is computed again from the library; any mismatch fails. */
  async verify(manager: EntityManager, job: { releaseId: string; source: string }): Promise<VerifyOutcome> {
    const archived = await this.repository.archivedOf(manager, job.releaseId);
    if (archived.length === 0) {
      if (this.config.serviceTasks.pslRequirePackage && PACKAGE_SOURCES.has(job.source)) {
        throw new PackageCheckError('no archived package to verify: the install cannot go ahead');
      }
      return { verified: [], note: 'no archived package: nothing to verify' };
    }
    const verified: Array<{ name: string; version: string; sha256: string; ok: boolean; found?: string }> =
      [];
    for (const artifact of archived) {
      const now = await this.store.rehash(artifact.sha256);
      verified.push({
        name: artifact.name,
        version: artifact.version,
        sha256: artifact.sha256,
        ok: now?.sha256 === artifact.sha256 && now.size === Number(artifact.size),
        ...(now?.sha256 === artifact.sha256 ? {} : { found: now?.sha256 ?? 'missing' }),
      });
    }
    const bad = verified.filter((v) => !v.ok);
    if (bad.length > 0) {
      throw new PackageCheckError(
        `integrity check failed, the install must not go ahead: ${bad
          .map((b) => `${b.name} (expected sha256 ${b.sha256}, found ${b.found ?? 'a different size'})`)
          .join('; ')}`,
      );
    }
    return { verified: verified.map(({ name, version, sha256, ok }) => ({ name, version, sha256, ok })) };
  }

  private async release(idOrNumber: string): Promise<ReleaseEntity> {
    return this.releases.find(idOrNumber);
  }

  /** Remove blobs no artifact refers to (any more), each under its lock so a parallel upload keeps its file. */
  private async discard(sha256s: readonly string[]): Promise<void> {
    for (const sha256 of new Set(sha256s)) {
      try {
        await this.dataSource.transaction(async (tx) => {
          await this.repository.lockBlob(tx, sha256);
          if (!(await this.repository.isBlobUsed(tx, sha256))) await this.store.remove(sha256);
        });
      } catch (err) {
        this.logger.warn(`could not remove unused blob ${sha256}: ${String(err)}`);
      }
    }
  }
}

function view(a: PslArtifactEntity): ArtifactView {
  return {
    id: a.id,
    name: a.name,
    version: a.version,
    size: Number(a.size),
    sha256: a.sha256,
    mediaType: a.mediaType,
    status: a.status,
    uploadedBy: a.uploadedBy,
    uploadedAt: a.uploadedAt,
    archivedAt: a.archivedAt,
  };
}
