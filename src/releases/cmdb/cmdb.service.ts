import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { JsonObject } from '../../platform/json.js';
import { InvalidInputError, NotFoundError } from '../../platform/errors.js';
import type { CmdbChange } from './cmdb.entities.js';
import { CmdbRepository, type ChangeRow, type ItemRow } from './cmdb.repository.js';
import type { CiSpec } from './ci-spec.js';
import type { CmdbItemQueryDto, UpsertCmdbItemDto } from './cmdb.dto.js';

/** A release's side of a CMDB write, as a job asks for it. */
export interface CmdbWrite {
  readonly jobId: string;
  readonly releaseId: string;
  /** The release's version: what an item named without its own version takes. */
  readonly version: string;
  readonly items: readonly CiSpec[];
  /** The type of items that do not exist yet. */
  readonly newItemType: string;
  readonly details?: JsonObject;
}

/** One item's change made by one job, as recorded (the same on every run of that job). */
export interface ItemChange {
  readonly name: string;
  readonly type: string;
  readonly change: CmdbChange;
  readonly version: string | null;
  readonly previousVersion: string | null;
}

export interface RestoredItem {
  readonly name: string;
  readonly type: string;
  readonly baselineVersion: string | null;
  /** The version it had before this rollback (equal to the baseline when there was nothing to restore). */
  readonly versionBefore: string | null;
  readonly restored: boolean;
}

/**
 * The built-in CMDB (配置管理库). A build records the candidate version of each affected item and keeps the
 * release's baseline (the items' versions before it); an install moves the items to their new versions; a
 * rollback moves them back to the baseline. Every change is one history row keyed by (job, item): a job run
 * twice finds its rows and changes nothing.
 */
@Injectable()
export class CmdbService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(CmdbRepository) private readonly repository: CmdbRepository,
  ) {}

  /** 登记构建记录: the build of a release, so it can be repeated; current versions do not change. */
  async recordBuild(manager: EntityManager, write: CmdbWrite): Promise<ItemChange[]> {
    return manager.transaction(async (tx) => {
      const items = await this.prepare(tx, write);
      for (const item of items) {
        await this.repository.insertChange(tx, {
          itemId: item.id,
          change: 'build',
          version: targetVersion(write, item.name),
          previousVersion: item.currentVersion,
          releaseId: write.releaseId,
          jobId: write.jobId,
          actor: null,
          details: write.details ?? {},
        });
      }
      return this.changesOf(tx, write.jobId);
    });
  }

  /** 更新CMDB: the release's items take their new versions; the versions before are the baseline. */
  async install(manager: EntityManager, write: CmdbWrite): Promise<ItemChange[]> {
    return manager.transaction(async (tx) => {
      const items = await this.prepare(tx, write);
      for (const item of items) {
        const version = targetVersion(write, item.name);
        const recorded = await this.repository.insertChange(tx, {
          itemId: item.id,
          change: 'install',
          version,
          previousVersion: item.currentVersion,
          releaseId: write.releaseId,
          jobId: write.jobId,
          actor: null,
          details: write.details ?? {},
        });
        if (recorded) await this.repository.setCurrentVersion(tx, item.id, version);
      }
      return this.changesOf(tx, write.jobId);
    });
  }

  /** The release's items at their baseline versions (what a rollback goes back to), as they are now. */
  async baseline(
    manager: EntityManager,
    releaseId: string,
    names: readonly string[],
  ): Promise<
    Array<{ name: string; type: string; baselineVersion: string | null; currentVersion: string | null }>
  > {
    const recorded = await this.repository.baselineOf(manager, releaseId);
    const known = new Set(recorded.map((b) => b.name));
    // Items the release names but never wrote: their baseline is what they are now.
    const others = (
      await this.repository.itemsByName(
        manager,
        names.filter((n) => !known.has(n)),
      )
    ).map((i) => ({
      name: i.name,
      type: i.type,
      baselineVersion: i.currentVersion,
      currentVersion: i.currentVersion,
    }));
    return [
      ...recorded.map((b) => ({
        name: b.name,
        type: b.type,
        baselineVersion: b.baselineVersion,
        currentVersion: b.currentVersion,
      })),
      ...others,
    ].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** 发布回退: every item the release changed goes back to its baseline version. */
  async restoreBaseline(
    manager: EntityManager,
    restore: { jobId: string; releaseId: string; details?: JsonObject },
  ): Promise<RestoredItem[]> {
    return manager.transaction(async (tx) => {
      const baseline = await this.repository.baselineOf(tx, restore.releaseId, true);
      for (const item of baseline) {
        if (item.currentVersion === item.baselineVersion) continue;
        const recorded = await this.repository.insertChange(tx, {
          itemId: item.itemId,
          change: 'rollback',
          version: item.baselineVersion,
          previousVersion: item.currentVersion,
          releaseId: restore.releaseId,
          jobId: restore.jobId,
          actor: null,
          details: restore.details ?? {},
        });
        if (recorded) await this.repository.setCurrentVersion(tx, item.itemId, item.baselineVersion);
      }
      const mine = new Map((await this.repository.changesOfJob(tx, restore.jobId)).map((c) => [c.itemId, c]));
      return baseline.map((item) => {
        const change = mine.get(item.itemId);
        return {
          name: item.name,
          type: item.type,
          baselineVersion: item.baselineVersion,
          versionBefore: change ? change.previousVersion : item.baselineVersion,
          restored: change !== undefined,
        };
      });
    });
  }

  // ---- the read side (GET /api/cmdb/items) and upkeep by administrators ----

  async search(query: CmdbItemQueryDto) {
    const page = query.page ?? 1;
    const pageSize = query.pageSize ?? 50;
    const { items, total } = await this.repository.search(this.dataSource.manager, {
      q: query.q?.trim() || undefined,
      type: query.type,
      releaseId: query.releaseId,
      offset: (page - 1) * pageSize,
      limit: pageSize,
    });
    return { items, total, page, pageSize };
  }

  /** An item with its version history (and the release of each change), the releases that touched it, its relations. */
  async detail(idOrName: string) {
    const manager = this.dataSource.manager;
    const item = await this.repository.findItem(manager, idOrName);
    if (!item) throw new NotFoundError(`configuration item ${idOrName} does not exist`);
    const [history, releases, relations] = await Promise.all([
      this.repository.history(manager, item.id),
      this.repository.releasesOf(manager, item.id),
      this.repository.relationsOf(manager, item.id),
    ]);
    return { ...item, history: history.map(historyEntry), releases, relations };
  }

  /** Create or update an item by name (type, owner, attributes, outgoing relations). */
  async upsert(dto: UpsertCmdbItemDto) {
    return this.dataSource.transaction(async (tx) => {
      const item = await this.repository.upsertItem(tx, dto);
      if (dto.relations) {
        const targets = await this.repository.itemsByName(
          tx,
          dto.relations.map((r) => r.target),
        );
        const idOf = new Map(targets.map((t) => [t.name, t.id]));
        const unknown = dto.relations.filter((r) => !idOf.has(r.target) || r.target === dto.name);
        if (unknown.length > 0) {
          throw new InvalidInputError(
            'a relation names an item that does not exist (or the item itself)',
            unknown.map((r) => ({ field: 'relations.target', message: `unknown item "${r.target}"` })),
          );
        }
        await this.repository.replaceRelations(
          tx,
          item.id,
          dto.relations.map((r) => ({ type: r.type, targetId: idOf.get(r.target)! })),
        );
      }
      return item;
    });
  }

  private async prepare(tx: EntityManager, write: CmdbWrite): Promise<ItemRow[]> {
    const items = await this.repository.ensureAndLock(
      tx,
      write.items.map((i) => i.name),
      write.newItemType,
    );
    await this.repository.captureBaseline(
      tx,
      write.releaseId,
      write.jobId,
      items.map((i) => i.id),
    );
    return items;
  }

  private async changesOf(tx: EntityManager, jobId: string): Promise<ItemChange[]> {
    return (await this.repository.changesOfJob(tx, jobId)).map((c) => ({
      name: c.name,
      type: c.type,
      change: c.change,
      version: c.version,
      previousVersion: c.previousVersion,
    }));
  }
}

function targetVersion(write: CmdbWrite, name: string): string {
  return write.items.find((i) => i.name === name)?.version ?? write.version;
}

function historyEntry(c: ChangeRow) {
  return {
    change: c.change,
    version: c.version,
    previousVersion: c.previousVersion,
    release: c.releaseId ? { id: c.releaseId, number: c.releaseNumber } : null,
    jobId: c.jobId,
    actor: c.actor,
    details: c.details,
    at: c.createdAt,
  };
}
