import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, type Clock } from '../../platform/clock.js';
import type { JsonObject } from '../../platform/json.js';
import type { CmdbChange } from './cmdb.entities.js';
import { UUID } from '../../platform/uuid.js';

export interface ItemRow {
  readonly id: string;
  readonly type: string;
  readonly name: string;
  readonly currentVersion: string | null;
  readonly owner: string | null;
  readonly attributes: JsonObject;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface ChangeRow {
  readonly itemId: string;
  readonly name: string;
  readonly type: string;
  readonly change: CmdbChange;
  readonly version: string | null;
  readonly previousVersion: string | null;
  readonly releaseId: string | null;
  readonly releaseNumber: string | null;
  readonly jobId: string | null;
  readonly actor: string | null;
  readonly details: JsonObject;
  readonly createdAt: Date;
}

export interface BaselineRow {
  readonly itemId: string;
  readonly name: string;
  readonly type: string;
  readonly baselineVersion: string | null;
  readonly currentVersion: string | null;
}

const ITEM_COLUMNS = `i.id, i.type, i.name, i.current_version AS "currentVersion", i.owner, i.attributes,
  i.created_at AS "createdAt", i.updated_at AS "updatedAt"`;
const CHANGE_COLUMNS = `v.item_id AS "itemId", i.name, i.type, v.change, v.version,
  v.previous_version AS "previousVersion", v.release_id AS "releaseId", r.number AS "releaseNumber",
  v.job_id AS "jobId", v.actor, v.details, v.created_at AS "createdAt"`;

/** The built-in CMDB's SQL: items, their version history, baselines per release, relations. */
@Injectable()
export class CmdbRepository {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /** Create the items that do not exist yet, then lock and return all of them (in name order). */
  async ensureAndLock(manager: EntityManager, names: readonly string[], type: string): Promise<ItemRow[]> {
    if (names.length === 0) return [];
    const sorted = [...names].sort();
    await manager.query(
      `INSERT INTO cmdb_item (id, type, name, created_at, updated_at)
       SELECT gen_random_uuid(), $1, n, $3::timestamptz, $3::timestamptz FROM unnest($2::text[]) AS n
       ON CONFLICT (name) DO NOTHING`,
      [type, sorted, this.clock.now()],
    );
    return manager.query(
      `SELECT ${ITEM_COLUMNS} FROM cmdb_item i WHERE i.name = ANY($1::text[]) ORDER BY i.name FOR UPDATE`,
      [sorted],
    );
  }

  /** The version each item had before the release first touched it; kept once per release. */
  async captureBaseline(
    manager: EntityManager,
    releaseId: string,
    jobId: string,
    itemIds: readonly string[],
  ) {
    await manager.query(
      `INSERT INTO cmdb_baseline (release_id, item_id, version, job_id, captured_at)
       SELECT $1, i.id, i.current_version, $2, $4::timestamptz FROM cmdb_item i WHERE i.id = ANY($3::uuid[])
       ON CONFLICT (release_id, item_id) DO NOTHING`,
      [releaseId, jobId, [...itemIds], this.clock.now()],
    );
  }

  /** Record a change of an item made by a job; false when that job already recorded one for the item. */
  async insertChange(
    manager: EntityManager,
    change: {
      itemId: string;
      change: CmdbChange;
      version: string | null;
      previousVersion: string | null;
      releaseId: string | null;
      jobId: string | null;
      actor: string | null;
      details: JsonObject;
    },
  ): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `INSERT INTO cmdb_item_version
         (item_id, change, version, previous_version, release_id, job_id, actor, details, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (job_id, item_id) WHERE job_id IS NOT NULL DO NOTHING
       RETURNING id`,
      [
        change.itemId,
        change.change,
        change.version,
        change.previousVersion,
        change.releaseId,
        change.jobId,
        change.actor,
        JSON.stringify(change.details),
        this.clock.now(),
      ],
    );
    return rows.length > 0;
  }

  async setCurrentVersion(manager: EntityManager, itemId: string, version: string | null): Promise<void> {
    await manager.query(`UPDATE cmdb_item SET current_version = $2, updated_at = $3 WHERE id = $1`, [
      itemId,
      version,
      this.clock.now(),
    ]);
  }

  async changesOfJob(manager: EntityManager, jobId: string): Promise<ChangeRow[]> {
    return manager.query(
      `SELECT ${CHANGE_COLUMNS} FROM cmdb_item_version v JOIN cmdb_item i ON i.id = v.item_id
       LEFT JOIN release r ON r.id = v.release_id
       WHERE v.job_id = $1 ORDER BY i.name`,
      [jobId],
    );
  }

  async baselineOf(manager: EntityManager, releaseId: string, lock = false): Promise<BaselineRow[]> {
    return manager.query(
      `SELECT b.item_id AS "itemId", i.name, i.type, b.version AS "baselineVersion",
              i.current_version AS "currentVersion"
         FROM cmdb_baseline b JOIN cmdb_item i ON i.id = b.item_id
        WHERE b.release_id = $1 ORDER BY i.name ${lock ? 'FOR UPDATE OF i' : ''}`,
      [releaseId],
    );
  }

  async itemsByName(manager: EntityManager, names: readonly string[]): Promise<ItemRow[]> {
    if (names.length === 0) return [];
    return manager.query(
      `SELECT ${ITEM_COLUMNS} FROM cmdb_item i WHERE i.name = ANY($1::text[]) ORDER BY i.name`,
      [[...names]],
    );
  }

  async search(
    manager: EntityManager,
    filter: { q?: string; type?: string; releaseId?: string; offset: number; limit: number },
  ): Promise<{ items: ItemRow[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.q) {
      params.push(`%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      const p = `$${params.length}`;
      where.push(
        `(i.name ILIKE ${p} OR i.type ILIKE ${p} OR i.owner ILIKE ${p} OR i.current_version ILIKE ${p} OR i.attributes::text ILIKE ${p})`,
      );
    }
    if (filter.type) {
      params.push(filter.type);
      where.push(`i.type = $${params.length}`);
    }
    if (filter.releaseId) {
      params.push(filter.releaseId);
      where.push(
        `(EXISTS (SELECT 1 FROM cmdb_item_version v WHERE v.item_id = i.id AND v.release_id = $${params.length})
          OR EXISTS (SELECT 1 FROM cmdb_baseline b WHERE b.item_id = i.id AND b.release_id = $${params.length}))`,
      );
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }] = (await manager.query(
      `SELECT count(*)::int AS total FROM cmdb_item i ${clause}`,
      params,
    )) as [{ total: number }];
    const items: ItemRow[] = await manager.query(
      `SELECT ${ITEM_COLUMNS} FROM cmdb_item i ${clause} ORDER BY i.name
        OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, filter.offset, filter.limit],
    );
    return { items, total };
  }

  async findItem(manager: EntityManager, idOrName: string): Promise<ItemRow | undefined> {
    const uuid = UUID.test(idOrName);
    const rows: ItemRow[] = await manager.query(
      `SELECT ${ITEM_COLUMNS} FROM cmdb_item i WHERE ${uuid ? 'i.id = $1::uuid' : 'i.name = $1'}`,
      [idOrName],
    );
    return rows[0];
  }

  async history(manager: EntityManager, itemId: string): Promise<ChangeRow[]> {
    return manager.query(
      `SELECT ${CHANGE_COLUMNS} FROM cmdb_item_version v JOIN cmdb_item i ON i.id = v.item_id
       LEFT JOIN release r ON r.id = v.release_id
       WHERE v.item_id = $1 ORDER BY v.id`,
      [itemId],
    );
  }

  /** The releases that touched an item (changed it or took its baseline), newest first. */
  async releasesOf(manager: EntityManager, itemId: string) {
    return manager.query(
      `SELECT r.id, r.number, r.title, r.class AS "releaseClass", r.status, r.version_number AS "versionNumber",
              b.version AS "baselineVersion",
              (SELECT array_agg(DISTINCT v.change) FROM cmdb_item_version v
                WHERE v.item_id = $1 AND v.release_id = r.id) AS changes
         FROM release r LEFT JOIN cmdb_baseline b ON b.release_id = r.id AND b.item_id = $1
        WHERE b.item_id IS NOT NULL
           OR EXISTS (SELECT 1 FROM cmdb_item_version v WHERE v.item_id = $1 AND v.release_id = r.id)
        ORDER BY r.created_at DESC`,
      [itemId],
    ) as Promise<
      Array<{
        id: string;
        number: string;
        title: string;
        releaseClass: string;
        status: string;
        versionNumber: string | null;
        baselineVersion: string | null;
        changes: string[] | null;
      }>
    >;
  }

  async relationsOf(manager: EntityManager, itemId: string) {
    return manager.query(
      `SELECT 'outgoing' AS direction, r.type, t.id AS "itemId", t.name, t.type AS "itemType"
         FROM cmdb_relation r JOIN cmdb_item t ON t.id = r.target_id WHERE r.source_id = $1
       UNION ALL
       SELECT 'incoming', r.type, s.id, s.name, s.type
         FROM cmdb_relation r JOIN cmdb_item s ON s.id = r.source_id WHERE r.target_id = $1
       ORDER BY 1, 2, 4`,
      [itemId],
    ) as Promise<Array<{ direction: string; type: string; itemId: string; name: string; itemType: string }>>;
  }

  async upsertItem(
    manager: EntityManager,
    item: { name: string; type: string; owner?: string | null; attributes?: JsonObject },
  ): Promise<ItemRow> {
    const rows: ItemRow[] = await manager.query(
      `INSERT INTO cmdb_item AS i (id, type, name, owner, attributes, created_at, updated_at)
       VALUES ($1, $2, $3, $4, coalesce($5::jsonb, '{}'), $7, $7)
       ON CONFLICT (name) DO UPDATE SET type = EXCLUDED.type,
         owner = CASE WHEN $6 THEN EXCLUDED.owner ELSE i.owner END,
         attributes = coalesce($5::jsonb, i.attributes), updated_at = $7
       RETURNING ${ITEM_COLUMNS}`,
      [
        randomUUID(),
        item.type,
        item.name,
        item.owner ?? null,
        item.attributes === undefined ? null : JSON.stringify(item.attributes),
        item.owner !== undefined,
        this.clock.now(),
      ],
    );
    return rows[0]!;
  }

  async replaceRelations(
    manager: EntityManager,
    sourceId: string,
    relations: ReadonlyArray<{ type: string; targetId: string }>,
  ): Promise<void> {
    await manager.query(`DELETE FROM cmdb_relation WHERE source_id = $1`, [sourceId]);
    for (const relation of relations) {
      await manager.query(
        `INSERT INTO cmdb_relation (source_id, target_id, type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
        [sourceId, relation.targetId, relation.type],
      );
    }
  }
}
