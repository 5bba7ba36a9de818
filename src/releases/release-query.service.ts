import { Inject, Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { DataSource } from 'typeorm';
import { InvalidInputError } from '../platform/errors.js';
import type { ReleaseQueryDto, StatisticsQueryDto } from './release-query.dto.js';
import { ReleaseEntity } from './release.entity.js';

const SORT_COLUMNS = { createdAt: 'r.created_at', number: 'r.number', plannedAt: 'r.planned_at' } as const;

export interface PeriodStatistics {
  period: string;
  releases: number;
  ended: number;
  successRate: number | null;
  rollbackRate: number | null;
  emergencyRatio: number | null;
  onTimeRate: number | null;
  meanLeadTimeHours: number | null;
  p90LeadTimeHours: number | null;
  firstPassTestRate: number | null;
}

export interface OpenStep {
  step: string;
  name: string | null;
  releases: number;
  averageAgeHours: number;
  oldestAgeHours: number;
}

/** Release search and the process measures (发布信息统计), computed in SQL over the records. */
@Injectable()
export class ReleaseQueryService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  async search(filter: ReleaseQueryDto) {
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
    const [items, total] = await query
      .skip((filter.page - 1) * filter.pageSize)
      .take(filter.pageSize)
      .getManyAndCount();
    return { items, total, page: filter.page, pageSize: filter.pageSize };
  }

  /** The process measures per period; rates are fractions 0..1, null where nothing counts towards them. */
  async statistics(
    filter: StatisticsQueryDto,
  ): Promise<{ from: string; to: string; periods: PeriodStatistics[]; openByStep: OpenStep[] }> {
    const to = filter.to ? new Date(filter.to) : new Date();
    const from = filter.from ? new Date(filter.from) : new Date(to.getTime() - 365 * 24 * 3600 * 1000);
    if (from >= to)
      throw new InvalidInputError('from must be before to', [
        { field: 'from', message: 'must be before to' },
      ]);
    const period =
      filter.groupBy === 'range'
        ? `to_char($1::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '/' || to_char($2::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD')`
        : filter.groupBy === 'quarter'
          ? `to_char(date_trunc('quarter', r.created_at AT TIME ZONE 'UTC'), 'YYYY-"Q"Q')`
          : filter.groupBy === 'year'
            ? `to_char(date_trunc('year', r.created_at AT TIME ZONE 'UTC'), 'YYYY')`
            : `to_char(date_trunc('month', r.created_at AT TIME ZONE 'UTC'), 'YYYY-MM')`;
    const rows: Array<Record<string, string | number | null>> = await this.dataSource.query(
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
         round(avg(CASE WHEN status = 'closed' AND NOT rolled_back THEN 1.0 ELSE 0.0 END)
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
      [from, to, filter.class ?? null, filter.source ?? null],
    );
    const open: Array<Record<string, string | number | null>> = await this.dataSource.query(
      `SELECT t.element_id AS step, max(t.name) AS name, count(DISTINCT r.id)::int AS releases,
              round((avg(extract(epoch FROM now() - r.created_at)) / 3600)::numeric, 2)::float AS average_age_hours,
              round((max(extract(epoch FROM now() - r.created_at)) / 3600)::numeric, 2)::float AS oldest_age_hours
         FROM release r JOIN user_task t ON t.instance_id = r.instance_id AND t.status = 'open'
        WHERE r.status = 'in-progress' AND ($1::text IS NULL OR r.class = $1) AND ($2::text IS NULL OR r.source = $2)
        GROUP BY t.element_id ORDER BY releases DESC, step`,
      [filter.class ?? null, filter.source ?? null],
    );
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      periods: rows.map((r) => ({
        period: String(r.period),
        releases: Number(r.releases),
        ended: Number(r.ended),
        successRate: r.success_rate as number | null,
        rollbackRate: r.rollback_rate as number | null,
        emergencyRatio: r.emergency_ratio as number | null,
        onTimeRate: r.on_time_rate as number | null,
        meanLeadTimeHours: r.mean_lead_time_hours as number | null,
        p90LeadTimeHours: r.p90_lead_time_hours as number | null,
        firstPassTestRate: r.first_pass_test_rate as number | null,
      })),
      openByStep: open.map((o) => ({
        step: String(o.step),
        name: (o.name as string | null) ?? null,
        releases: Number(o.releases),
        averageAgeHours: Number(o.average_age_hours),
        oldestAgeHours: Number(o.oldest_age_hours),
      })),
    };
  }
}

/**
 * Text cells come from deployed definitions (step names): a spreadsheet must not read them as formulas,
 * and a carriage return, which spreadsheets take for a line break, is quoted like a newline.
 */
const CSV_OPTIONS = { escape_formulas: true, record_delimiter: 'unix', quoted_match: /\r/ } as const;

/** The statistics as CSV: one row per period, a blank line, then the open releases by step. */
export function statisticsCsv(stats: { periods: PeriodStatistics[]; openByStep: OpenStep[] }): string {
  const periods = stringify(
    stats.periods.map((p) => [
      p.period,
      p.releases,
      p.ended,
      p.successRate,
      p.rollbackRate,
      p.emergencyRatio,
      p.onTimeRate,
      p.meanLeadTimeHours,
      p.p90LeadTimeHours,
      p.firstPassTestRate,
    ]),
    {
      ...CSV_OPTIONS,
      header: true,
      columns: [
        'period',
        'releases',
        'ended',
        'success_rate',
        'rollback_rate',
        'emergency_ratio',
        'on_time_rate',
        'mean_lead_time_hours',
        'p90_lead_time_hours',
        'first_pass_test_rate',
      ],
    },
  );
  const openSteps = stringify(
    stats.openByStep.map((o) => [o.step, o.name, o.releases, o.averageAgeHours, o.oldestAgeHours]),
    {
      ...CSV_OPTIONS,
      header: true,
      columns: ['open_step', 'name', 'releases', 'average_age_hours', 'oldest_age_hours'],
    },
  );
  return `${periods}\n${openSteps}`;
}
