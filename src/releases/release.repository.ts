import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { entitiesOf, selectColumns } from '../platform/database/entity-rows.js';
import { paginate } from '../platform/database/paginate.js';
import { UUID } from '../platform/uuid.js';
import type { Page } from '../platform/http/page-query.dto.js';
import type { ReleaseQueryDto } from './release-query.dto.js';
import { ReleaseEntity, type ReleaseStatus } from './release.entity.js';

const SORT_COLUMNS = { createdAt: 'r.created_at', number: 'r.number', plannedAt: 'r.planned_at' } as const;

/** The inbox's `class` filter: the task belongs to a release of that class (task row `t`, value `:value`). */
export const TASK_OF_RELEASE_CLASS =
  'EXISTS (SELECT 1 FROM release r WHERE r.id::text = t.business_key AND r.class = :value)';

/** The inbox's `release` filter: the task belongs to the release of that number or id. */
export const TASK_OF_RELEASE =
  't.business_key IN (SELECT r.id::text FROM release r WHERE r.number = upper(:value) OR r.id::text = lower(:value))';

/**
 * The release a task belongs to, as the inbox shows it beside the task (task row `t`): its id, number, title, class
 * and status, or NULL for a task of no release. The id is compared as a uuid, so the primary key finds it.
 */
export const TASK_RELEASE_SUMMARY = `SELECT json_build_object('id', r.id, 'number', r.number, 'title', r.title,
         'class', r.class, 'status', r.status)
    FROM release r
   WHERE r.id = CASE WHEN t.business_key ~* '${UUID.source}'
                     THEN t.business_key::uuid END`;

/** What the inbox's search (`q`, an ILIKE pattern) finds of a release: its number and title. */
export const TASK_RELEASE_SEARCH =
  't.business_key IN (SELECT r.id::text FROM release r WHERE r.number ILIKE :value OR r.title ILIKE :value)';

export type StatisticsGrouping = 'month' | 'quarter' | 'year' | 'range';

export interface StatisticsScope {
  readonly from: Date;
  readonly to: Date;
  readonly groupBy: StatisticsGrouping;
  readonly releaseClass: string | null;
  readonly source: string | null;
}

/**
 * A release by id inside the caller's transaction; null for anything that is not a release's id. A function
 * as well as a method: the service tasks' release facts are read by plain functions, with the job's manager.
 */
export async function findReleaseById(manager: EntityManager, id: string): Promise<ReleaseEntity | null> {
  return UUID.test(id) ? manager.getRepository(ReleaseEntity).findOneBy({ id }) : null;
}

/** What an instance's pass says of its release (see ReleaseRepository.follow); undefined: says nothing. */
export interface ReleaseFollowing {
  readonly title?: string;
  readonly source?: ReleaseEntity['source'];
  readonly versionNumber?: string;
  readonly plannedAt?: Date;
  /** When it was installed, if its install succeeded (kept only if none is recorded yet). */
  readonly installedAt?: Date;
  readonly rolledBack?: boolean;
  /** The status it ends with, if its flow ended (taken only while it is in progress). */
  readonly endStatus?: ReleaseStatus;
}

/** All SQL of the release records; methods taking a manager run inside the caller's transaction. */
@Injectable()
export class ReleaseRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** A release by its id (a UUID) or its number (REL-2026-0001, any case); null when there is none. */
  async findByIdOrNumber(
    idOrNumber: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ReleaseEntity | null> {
    // Plain SQL: a release's page and its clients' polls ask this most, and the ORM's query building and
    // hydration cost more than the statement.
    const byId = UUID.test(idOrNumber);
    const rows: Array<Record<string, unknown>> = await manager.query(
      `SELECT ${selectColumns(manager.connection, ReleaseEntity)} FROM release WHERE ${byId ? 'id' : 'number'} = $1`,
      [byId ? idOrNumber : idOrNumber.toUpperCase()],
    );
    return entitiesOf(manager.connection, ReleaseEntity, rows)[0] ?? null;
  }

  /** A release by id; null for anything that is not a release's id (a business key of another kind). */
  async findById(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ReleaseEntity | null> {
    return findReleaseById(manager, id);
  }

  /** The releases of these ids (anything that is not a release's id is passed over). */
  async findByIds(ids: readonly string[]): Promise<ReleaseEntity[]> {
    const uuids = [...new Set(ids.filter((id) => UUID.test(id)))];
    if (uuids.length === 0) return [];
    return this.dataSource
      .getRepository(ReleaseEntity)
      .createQueryBuilder('r')
      .where('r.id = ANY(:ids::uuid[])', { ids: uuids })
      .getMany();
  }

  /** The release that follows this instance. */
  async findOfInstance(
    manager: EntityManager,
    releaseId: string,
    instanceId: string,
  ): Promise<ReleaseEntity | null> {
    return manager.getRepository(ReleaseEntity).findOneBy({ id: releaseId, instanceId });
  }

  /**
   * Bring the release that follows this instance in step with it, in one statement: each value given replaces
   * the record's when it differs; the install time is set only once, rolled back only ever turns on, and the
   * end status (with the close time) only ends a release still in progress. The row is written, with
   * `updatedAt`, only when something changes. Returns the row as written and whether this write ended it;
   * null when nothing changed (or no release follows the instance).
   */
  async follow(
    manager: EntityManager,
    releaseId: string,
    instanceId: string,
    follow: ReleaseFollowing,
    now: Date,
  ): Promise<{ release: ReleaseEntity; ended: boolean } | null> {
    // TypeORM answers an UPDATE ... RETURNING with [rows, affected count].
    const [rows]: [Array<Record<string, unknown>>, number] = await manager.query(
      `UPDATE release r SET
         title = COALESCE($3, r.title),
         source = COALESCE($4, r.source),
         version_number = COALESCE($5, r.version_number),
         planned_at = COALESCE($6, r.planned_at),
         installed_at = COALESCE(r.installed_at, $7),
         rolled_back = r.rolled_back OR $8,
         status = CASE WHEN r.status = 'in-progress' THEN COALESCE($9, r.status) ELSE r.status END,
         closed_at = CASE WHEN r.status = 'in-progress' AND $9::text IS NOT NULL THEN $10 ELSE r.closed_at END,
         updated_at = $10
       FROM (SELECT id, status FROM release WHERE id = $1 AND instance_id = $2 FOR UPDATE) was
       WHERE r.id = was.id
         AND (r.title IS DISTINCT FROM COALESCE($3, r.title)
           OR r.source IS DISTINCT FROM COALESCE($4, r.source)
           OR r.version_number IS DISTINCT FROM COALESCE($5, r.version_number)
           OR r.planned_at IS DISTINCT FROM COALESCE($6, r.planned_at)
           OR (r.installed_at IS NULL AND $7::timestamptz IS NOT NULL)
           OR (NOT r.rolled_back AND $8)
           OR (r.status = 'in-progress' AND $9::text IS NOT NULL))
       RETURNING r.*, was.status AS previous_status`,
      [
        releaseId,
        instanceId,
        follow.title ?? null,
        follow.source ?? null,
        follow.versionNumber ?? null,
        follow.plannedAt ?? null,
        follow.installedAt ?? null,
        follow.rolledBack ?? false,
        follow.endStatus ?? null,
        now,
      ],
    );
    const row = rows[0];
    if (!row) return null;
    const release = new ReleaseEntity();
    for (const column of manager.connection.getMetadata(ReleaseEntity).columns) {
      (release as unknown as Record<string, unknown>)[column.propertyName] = row[column.databaseName];
    }
    return { release, ended: row.previous_status === 'in-progress' && release.status !== 'in-progress' };
  }

  async insert(manager: EntityManager, release: ReleaseEntity) {
    const repository = manager.getRepository(ReleaseEntity);
    const entity = repository.create(release);
    await repository.insert(entity);
    return entity;
  }

  async update(manager: EntityManager, releaseId: string, changes: Partial<ReleaseEntity>): Promise<void> {
    await manager.getRepository(ReleaseEntity).update({ id: releaseId }, changes);
  }

  /** The next number of the year's counter, incremented under its row lock, so numbers never repeat. */
  async nextNumber(manager: EntityManager, year: number): Promise<number> {
    const rows: Array<{ last_value: number }> = await manager.query(
      `INSERT INTO release_number_counter (year, last_value) VALUES ($1, 1)
       ON CONFLICT (year) DO UPDATE SET last_value = release_number_counter.last_value + 1
       RETURNING last_value`,
      [year],
    );
    return rows[0]!.last_value;
  }

  async search(filter: ReleaseQueryDto): Promise<Page<ReleaseEntity>> {
    const query = this.dataSource.getRepository(ReleaseEntity).createQueryBuilder('r');
    if (filter.number) query.andWhere('r.number = :number', { number: filter.number.toUpperCase() });
    if (filter.class) query.andWhere('r.class = :class', { class: filter.class });
    if (filter.source) query.andWhere('r.source = :source', { source: filter.source });
    if (filter.status) query.andWhere('r.status = :status', { status: filter.status });
    if (filter.from) query.andWhere('r.created_at >= :from', { from: new Date(filter.from) });
    if (filter.to) query.andWhere('r.created_at < :to', { to: new Date(filter.to) });
    if (filter.step) {
      query.andWhere(
        `(EXISTS (SELECT 1 FROM user_task t WHERE t.instance_id = r.instance_id AND t.status = 'open' AND t.element_id = :step)
          OR EXISTS (SELECT 1 FROM job j WHERE j.instance_id = r.instance_id AND j.status IN ('pending', 'failed') AND j.element_id = :step))`,
        { step: filter.step },
      );
    }
    if (filter.q?.trim()) {
      query.andWhere(
        `(r.search @@ plainto_tsquery('simple', :q) OR r.title ILIKE :like OR r.request->>'scope' ILIKE :like OR r.request->>'content' ILIKE :like)`,
        { q: filter.q, like: `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%` },
      );
    }
    const descending = filter.sort.startsWith('-');
    const column = SORT_COLUMNS[filter.sort.replace(/^-/, '') as keyof typeof SORT_COLUMNS];
    query.orderBy(column, descending ? 'DESC' : 'ASC', 'NULLS LAST');
    // Tie-breaker only on another column: TypeORM keeps one ORDER BY entry per column.
    if (column !== 'r.number') query.addOrderBy('r.number', 'DESC');
    return paginate(query, filter);
  }

  /** The process measures per period, as rows of SQL values (the query service shapes them and defines them). */
  async statisticsByPeriod(scope: StatisticsScope): Promise<Array<Record<string, string | number | null>>> {
    const period =
      scope.groupBy === 'range'
        ? `to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '/' || to_char($2::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
        : scope.groupBy === 'quarter'
          ? `to_char(date_trunc('quarter', r.created_at AT TIME ZONE 'UTC'), 'YYYY-"Q"Q')`
          : scope.groupBy === 'year'
            ? `to_char(date_trunc('year', r.created_at AT TIME ZONE 'UTC'), 'YYYY')`
            : `to_char(date_trunc('month', r.created_at AT TIME ZONE 'UTC'), 'YYYY-MM')`;
    return this.dataSource.query(
      `WITH scoped AS (
         SELECT r.*, ${period} AS period,
           (SELECT (h.data->'output'->>'testResult') = 'pass'
              FROM history_event h
             WHERE h.instance_id = r.instance_id AND h.type = 'task.completed' AND h.data->>'formKey' = 'test-report'
             ORDER BY h.id LIMIT 1) AS first_test_passed
           FROM release r
          WHERE r.created_at >= $1 AND r.created_at < $2
            AND ($3::text IS NULL OR r.class = $3) AND ($4::text IS NULL OR r.source = $4)
       )
       SELECT period,
         count(*)::int AS releases,
         count(*) FILTER (WHERE status IN ('closed', 'rolled-back'))::int AS ended,
         round(avg(CASE WHEN status = 'closed' THEN 1.0 ELSE 0.0 END)
           FILTER (WHERE status IN ('closed', 'rolled-back')), 4)::float AS success_rate,
         round(avg(CASE WHEN rolled_back THEN 1.0 ELSE 0.0 END) FILTER (WHERE status IN ('closed', 'rolled-back')), 4)::float
           AS rollback_rate,
         round(avg(CASE WHEN class = 'emergency' THEN 1.0 ELSE 0.0 END), 4)::float AS emergency_ratio,
         round(avg(CASE WHEN installed_at <= planned_at THEN 1.0 ELSE 0.0 END)
           FILTER (WHERE installed_at IS NOT NULL AND planned_at IS NOT NULL), 4)::float AS on_time_rate,
         round((avg(extract(epoch FROM closed_at - created_at)) FILTER (WHERE status = 'closed') / 3600)::numeric, 2)::float
           AS mean_lead_time_hours,
         round((percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at))
           FILTER (WHERE status = 'closed') / 3600)::numeric, 2)::float AS p90_lead_time_hours,
         round(avg(CASE WHEN first_test_passed THEN 1.0 ELSE 0.0 END) FILTER (WHERE first_test_passed IS NOT NULL), 4)::float
           AS first_pass_test_rate
       FROM scoped GROUP BY period ORDER BY period`,
      [scope.from, scope.to, scope.releaseClass, scope.source],
    );
  }

  /** Releases in progress by the step they wait in, as rows of SQL values. */
  async openByStep(
    scope: Pick<StatisticsScope, 'releaseClass' | 'source'>,
  ): Promise<Array<Record<string, string | number | null>>> {
    return this.dataSource.query(
      `SELECT t.element_id AS step, max(t.name) AS name, count(DISTINCT r.id)::int AS releases,
              round((avg(extract(epoch FROM now() - r.created_at)) / 3600)::numeric, 2)::float AS average_age_hours,
              round((max(extract(epoch FROM now() - r.created_at)) / 3600)::numeric, 2)::float AS oldest_age_hours
         FROM release r JOIN user_task t ON t.instance_id = r.instance_id AND t.status = 'open'
        WHERE r.status = 'in-progress' AND ($1::text IS NULL OR r.class = $1) AND ($2::text IS NULL OR r.source = $2)
        GROUP BY t.element_id ORDER BY releases DESC, step`,
      [scope.releaseClass, scope.source],
    );
  }
}
