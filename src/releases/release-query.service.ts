import { Inject, Injectable } from '@nestjs/common';
import { stringify } from 'csv-stringify/sync';
import { InvalidInputError } from '../platform/errors.js';
import type { ReleaseQueryDto, StatisticsQueryDto } from './release-query.dto.js';
import type { Page } from '../platform/http/page-query.dto.js';
import type { ReleaseEntity } from './release.entity.js';
import { ReleaseRepository } from './release.repository.js';
import { InstanceQueryService } from '../instances/instance-query.service.js';
import { NotFoundError } from '../platform/errors.js';
import { TIMELINE_EVENT_TYPES, timelineEntry, type TimelineEntry } from './timeline.js';

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

/**
 * What each measure means (release-procedure: process measures), returned with the numbers so that whoever
 * reads them reads the same definitions. A release counts in the period it was filed in.
 */
export const STATISTICS_DEFINITIONS = {
  releases: 'releases filed in the period, whatever their status',
  ended:
    'releases that ended closed or rolled-back: the ones that went to installation; rejected and cancelled ones count in no rate',
  successRate:
    'closed / ended: the change went live and the release was closed, also when an installation was rolled back, the change re-executed (5.3.6) and then closed',
  rollbackRate:
    'rolled back at least once / ended: whether the release then ended rolled back or was re-executed and closed',
  emergencyRatio: 'emergency releases / releases',
  onTimeRate:
    'installed at or before the planned time / releases with both an install time and a planned time (the plan’s end, else its start, else the request’s planned time)',
  meanLeadTimeHours: 'mean hours from filing to closing, over closed releases',
  p90LeadTimeHours: '90th percentile of the hours from filing to closing, over closed releases',
  firstPassTestRate: 'releases whose first test report passed / releases with a test report',
  openByStep: 'releases in progress by the step they wait in, with their age since filing in hours',
} as const;

/** Release search and the process measures (发布信息统计), computed in SQL over the records. */
@Injectable()
export class ReleaseQueryService {
  constructor(
    @Inject(ReleaseRepository) private readonly repository: ReleaseRepository,
    @Inject(InstanceQueryService) private readonly instances: InstanceQueryService,
  ) {}

  async search(filter: ReleaseQueryDto): Promise<Page<ReleaseEntity>> {
    return this.repository.search(filter);
  }

  /** A page of the release's timeline (see timeline.ts), oldest first; 404 for an unknown release. */
  async timeline(idOrNumber: string, page: { page: number; pageSize: number }): Promise<Page<TimelineEntry>> {
    const release = await this.repository.findByIdOrNumber(idOrNumber);
    if (!release) throw new NotFoundError(`release ${idOrNumber} does not exist`);
    if (!release.instanceId) return { items: [], total: 0, page: page.page, pageSize: page.pageSize };
    const events = await this.instances.historyPage(release.instanceId, TIMELINE_EVENT_TYPES, page);
    return { ...events, items: events.items.map(timelineEntry) };
  }

  /** The process measures per period; rates are fractions 0..1, null where nothing counts towards them. */
  async statistics(filter: StatisticsQueryDto): Promise<{
    from: string;
    to: string;
    periods: PeriodStatistics[];
    openByStep: OpenStep[];
    definitions: typeof STATISTICS_DEFINITIONS;
  }> {
    const to = filter.to ? new Date(filter.to) : new Date();
    const from = filter.from ? new Date(filter.from) : new Date(to.getTime() - 365 * 24 * 3600 * 1000);
    if (from >= to)
      throw new InvalidInputError('from must be before to', [
        { field: 'from', message: 'must be before to' },
      ]);
    const scope = {
      from,
      to,
      groupBy: filter.groupBy,
      releaseClass: filter.class ?? null,
      source: filter.source ?? null,
    };
    const rows = await this.repository.statisticsByPeriod(scope);
    const open = await this.repository.openByStep(scope);
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
      definitions: STATISTICS_DEFINITIONS,
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
