import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { ProcessDefinitionEntity } from '../definitions/process-definition.entity.js';
import { JobEntity } from '../queue/job.entity.js';
import { HistoryEventEntity } from './history-event.entity.js';
import { IncidentEntity, type IncidentStatus } from './incident.entity.js';
import { ProcessInstanceEntity } from './process-instance.entity.js';
import { entitiesOf, selectColumns } from '../platform/database/entity-rows.js';
import { paginate, type PageRequest } from '../platform/database/paginate.js';
import { orderBySql, orderTerms, type SortKey } from '../platform/database/sort.js';
import type { Page } from '../platform/http/page-query.dto.js';
import type { ProcessInstanceQueryDto, ProcessInstanceSummary } from './process-instance.dto.js';

const SORT_COLUMNS = { startedAt: 'i.startedAt', endedAt: 'i.endedAt' } as const;

/** The fields an instance search sorts by, beside the list's own `sort`. */
export type InstanceSortField = 'processKey' | 'processName' | 'version' | 'startedAt' | 'endedAt' | 'state';
const INSTANCE_SORT_COLUMNS: Record<InstanceSortField, string> = {
  processKey: 'i.process_key',
  processName: '(SELECT d.name FROM process_definition d WHERE d.id = i.definition_id)',
  version: '(SELECT d.version FROM process_definition d WHERE d.id = i.definition_id)',
  startedAt: 'i.started_at',
  endedAt: 'i.ended_at',
  // In the order of an instance's life: running, then completed, then cancelled.
  state: `CASE i.status WHEN 'running' THEN 0 WHEN 'completed' THEN 1 ELSE 2 END`,
};

/** The fields an incident search sorts by. */
export type IncidentSortField = 'createdAt' | 'processKey' | 'elementId' | 'error' | 'errorType' | 'state';
const INCIDENT_SORT_COLUMNS: Record<IncidentSortField, string> = {
  createdAt: 'incident.created_at',
  processKey: '(SELECT i.process_key FROM process_instance i WHERE i.id = incident.instance_id)',
  elementId: 'incident.element_id',
  error: 'incident.error',
  errorType: 'incident.error_type',
  state: 'incident.status',
};
const NEWEST_FIRST: ReadonlyArray<SortKey<IncidentSortField>> = [{ field: 'createdAt', descending: true }];

/** The fields a search of an instance's variables sorts by. */
export type VariableSortField = 'name' | 'value';
const VARIABLE_SORT_COLUMNS: Record<VariableSortField, string> = { name: 'v.key', value: 'v.value::text' };
const BY_NAME: ReadonlyArray<SortKey<VariableSortField>> = [{ field: 'name', descending: false }];

/** What an incident search matches: every field given (none: all incidents). */
export interface IncidentFilter {
  readonly state?: IncidentStatus;
  readonly incidentId?: string;
  readonly instanceId?: string;
  readonly jobId?: string;
  /** The process (its BPMN id) of the incident's instance. */
  readonly processKey?: string;
}

/** The read side's SQL: what the instance view and the operators' lists read, outside any transaction. */
@Injectable()
export class InstanceQueryRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * An instance without its engine state (`engineState` unset): what its view and the read side use. Plain SQL, as the
   * other reads of a view: its pages and their clients' polls read these most, and the ORM's query building and
   * hydration cost more than the statements.
   */
  async findInstance(instanceId: string): Promise<ProcessInstanceEntity | null> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT ${selectColumns(this.dataSource, ProcessInstanceEntity, undefined, ['engine_state'])}
         FROM process_instance WHERE id = $1`,
      [instanceId],
    );
    return entitiesOf(this.dataSource, ProcessInstanceEntity, rows)[0] ?? null;
  }

  async variablesOf(
    instanceId: string,
  ): Promise<{ variables: Record<string, unknown>; readOnlyVariables: string[] } | null> {
    const instance = await this.dataSource
      .getRepository(ProcessInstanceEntity)
      .findOne({ select: { id: true, variables: true, readOnlyVariables: true }, where: { id: instanceId } });
    return instance ? { variables: instance.variables, readOnlyVariables: instance.readOnlyVariables } : null;
  }

  /** The version number of the definition an instance runs. */
  async definitionVersion(definitionId: string): Promise<number> {
    const definition = await this.dataSource
      .getRepository(ProcessDefinitionEntity)
      .findOneOrFail({ select: { version: true }, where: { id: definitionId } });
    return definition.version;
  }

  /**
   * A page of instances matching the filter, without their variables and engine state (a list would read them all);
   * ties of the sort broken by id. `orderBy`, when it names fields, orders the page instead of the filter's `sort`.
   */
  async search(
    filter: ProcessInstanceQueryDto,
    orderBy: ReadonlyArray<SortKey<InstanceSortField>> = [],
  ): Promise<Page<ProcessInstanceSummary>> {
    const query = this.dataSource
      .getRepository(ProcessInstanceEntity)
      .createQueryBuilder('i')
      .select([
        'i.id',
        'i.definitionId',
        'i.processKey',
        'i.businessKey',
        'i.status',
        'i.endStatus',
        'i.startedAt',
        'i.endedAt',
      ]);
    if (filter.processId) query.andWhere('i.process_key = :processId', { processId: filter.processId });
    if (filter.version !== undefined) {
      query.andWhere(
        `i.definition_id IN (SELECT d.id FROM process_definition d WHERE d.version = :version${
          filter.processId ? ' AND d.process_key = :processId' : ''
        })`,
        { version: filter.version },
      );
    }
    if (filter.state) query.andWhere('i.status = :state', { state: filter.state });
    if (filter.businessKey)
      query.andWhere('i.business_key = :businessKey', { businessKey: filter.businessKey });
    if (filter.startedFrom) query.andWhere('i.started_at >= :from', { from: new Date(filter.startedFrom) });
    if (filter.startedTo) query.andWhere('i.started_at < :to', { to: new Date(filter.startedTo) });
    if (orderBy.length > 0) {
      for (const term of orderTerms(orderBy, INSTANCE_SORT_COLUMNS, ['i.id'])) {
        query.addOrderBy(term.column, term.order, 'NULLS LAST');
      }
    } else {
      const descending = filter.sort.startsWith('-');
      const column = SORT_COLUMNS[filter.sort.replace(/^-/, '') as keyof typeof SORT_COLUMNS];
      query.orderBy(column, descending ? 'DESC' : 'ASC', 'NULLS LAST').addOrderBy('i.id', 'ASC');
    }
    const page = await paginate(query, filter);
    const versions = await this.definitionVersions(page.items.map((i) => i.definitionId));
    return {
      ...page,
      items: page.items.map((i) => ({
        id: i.id,
        processId: i.processKey,
        version: versions.get(i.definitionId) ?? 0,
        businessKey: i.businessKey,
        state: i.status,
        endStatus: i.endStatus,
        startedAt: i.startedAt,
        endedAt: i.endedAt,
      })),
    };
  }

  /** Version numbers by definition id, in one statement. */
  private async definitionVersions(ids: readonly string[]): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    const rows = await this.dataSource
      .getRepository(ProcessDefinitionEntity)
      .find({ select: { id: true, version: true }, where: { id: In([...new Set(ids)]) } });
    return new Map(rows.map((d) => [d.id, d.version]));
  }

  /** The jobs and timers the instance waits for, oldest first. */
  async pendingJobs(instanceId: string): Promise<JobEntity[]> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT ${selectColumns(this.dataSource, JobEntity)} FROM job
        WHERE instance_id = $1 AND status = $2 ORDER BY created_at ASC`,
      [instanceId, 'pending'],
    );
    return entitiesOf(this.dataSource, JobEntity, rows);
  }

  /** Jobs by id, in one statement (order not kept). */
  async jobsByIds(ids: readonly string[]): Promise<JobEntity[]> {
    if (ids.length === 0) return [];
    return this.dataSource.getRepository(JobEntity).findBy({ id: In([...ids]) });
  }

  /** The instance's incidents, oldest first. */
  async incidentsOf(instanceId: string): Promise<IncidentEntity[]> {
    const rows: Array<Record<string, unknown>> = await this.dataSource.query(
      `SELECT ${selectColumns(this.dataSource, IncidentEntity)} FROM incident
        WHERE instance_id = $1 ORDER BY created_at ASC`,
      [instanceId],
    );
    return entitiesOf(this.dataSource, IncidentEntity, rows);
  }

  /**
   * The open incidents of the instances a call activity of this one started, and of theirs in turn, oldest first:
   * each with the execution of this instance's call activity it happened under.
   */
  async openIncidentsOfCalled(
    instanceId: string,
  ): Promise<Array<IncidentEntity & { callExecutionId: string }>> {
    const rows = await this.dataSource.query<Array<{ id: string; call_execution_id: string }>>(
      `WITH RECURSIVE called AS (
         SELECT id, parent_execution_id AS call_execution_id FROM process_instance WHERE parent_instance_id = $1
         UNION ALL
         SELECT p.id, c.call_execution_id FROM process_instance p JOIN called c ON p.parent_instance_id = c.id
       )
       SELECT i.id, c.call_execution_id FROM incident i JOIN called c ON c.id = i.instance_id
       WHERE i.status = 'open' ORDER BY i.created_at, i.id`,
      [instanceId],
    );
    if (rows.length === 0) return [];
    const incidents = new Map(
      (await this.dataSource.getRepository(IncidentEntity).findBy({ id: In(rows.map((r) => r.id)) })).map(
        (i) => [i.id, i],
      ),
    );
    return rows.flatMap((r) => {
      const incident = incidents.get(r.id);
      return incident ? [Object.assign(incident, { callExecutionId: r.call_execution_id })] : [];
    });
  }

  /**
   * Which of these instances have an open incident of their own or in an instance one of their call activities
   * started (and in theirs, at any depth): walked up from the open incidents, so it costs what they cost.
   */
  async withOpenIncidents(instanceIds: readonly string[]): Promise<Set<string>> {
    if (instanceIds.length === 0) return new Set();
    const rows = await this.dataSource.query<Array<{ id: string }>>(
      `WITH RECURSIVE affected AS (
         SELECT DISTINCT instance_id AS id FROM incident WHERE status = 'open'
         UNION
         SELECT p.parent_instance_id FROM process_instance p JOIN affected a ON p.id = a.id
         WHERE p.parent_instance_id IS NOT NULL
       )
       SELECT id FROM affected WHERE id = ANY($1::uuid[])`,
      [instanceIds],
    );
    return new Set(rows.map((r) => r.id));
  }

  /**
   * For those of these instances a call activity started: the calling instance and the call activity it waits in
   * there (null once it waits there no longer).
   */
  async callersOf(
    instanceIds: readonly string[],
  ): Promise<Map<string, { parentInstanceId: string; callElementId: string | null }>> {
    if (instanceIds.length === 0) return new Map();
    const rows = await this.dataSource.query<
      Array<{ id: string; parent_instance_id: string; call_element_id: string | null }>
    >(
      `SELECT c.id, c.parent_instance_id,
         (SELECT w->>'elementId' FROM jsonb_array_elements(COALESCE(p.waits, '[]'::jsonb)) w
          WHERE w->>'executionId' = c.parent_execution_id LIMIT 1) AS call_element_id
       FROM process_instance c JOIN process_instance p ON p.id = c.parent_instance_id
       WHERE c.id = ANY($1::uuid[])`,
      [[...new Set(instanceIds)]],
    );
    return new Map(
      rows.map((r) => [r.id, { parentInstanceId: r.parent_instance_id, callElementId: r.call_element_id }]),
    );
  }

  /**
   * The top-level variables of an instance (all of them, or the one named), in the order of `sort` (none: by name),
   * `limit` of them from the `offset`-th, and how many match; null when there is no such instance.
   */
  async searchVariables(
    instanceId: string,
    name: string | undefined,
    sort: ReadonlyArray<SortKey<VariableSortField>>,
    window: { offset: number; limit: number },
  ): Promise<{ items: Array<{ name: string; value: unknown }>; total: number } | null> {
    const order = orderBySql(orderTerms(sort.length > 0 ? sort : BY_NAME, VARIABLE_SORT_COLUMNS, ['v.key']));
    const rows: Array<{ name: string | null; value: unknown; total: number }> = await this.dataSource.query(
      `SELECT v.key AS name, v.value, count(v.key) OVER ()::int AS total
         FROM process_instance i
         LEFT JOIN LATERAL jsonb_each(i.variables) v ON $2::text IS NULL OR v.key = $2::text
        WHERE i.id = $1
        ORDER BY ${order} LIMIT $3 OFFSET $4`,
      [instanceId, name ?? null, window.limit, window.offset],
    );
    if (rows.length === 0) {
      // A page past the end, or no such instance: the count alone tells which.
      const [counted] = await this.dataSource.query<Array<{ n: number }>>(
        `SELECT count(v.key)::int AS n FROM process_instance i
           LEFT JOIN LATERAL jsonb_each(i.variables) v ON $2::text IS NULL OR v.key = $2::text
          WHERE i.id = $1 GROUP BY i.id`,
        [instanceId, name ?? null],
      );
      return counted ? { items: [], total: counted.n } : null;
    }
    return {
      items: rows.filter((r) => r.name !== null).map((r) => ({ name: r.name!, value: r.value })),
      total: rows[0]!.total,
    };
  }

  /** A page of the incidents of every instance in a state (all when none is given), newest first. */
  async incidentPage(state: IncidentStatus | undefined, page: PageRequest): Promise<Page<IncidentEntity>> {
    return paginate(this.incidentQuery({ state }), page);
  }

  /**
   * The incidents matching `filter` in the order of `sort` (none: newest first), ties by id (so pages neither repeat
   * nor skip one), `limit` of them from the `offset`-th, and how many match in all.
   */
  async searchIncidents(
    filter: IncidentFilter,
    window: { offset: number; limit: number },
    sort: ReadonlyArray<SortKey<IncidentSortField>> = [],
  ): Promise<{ items: IncidentEntity[]; total: number }> {
    const [items, total] = await this.incidentQuery(filter, sort)
      .skip(window.offset)
      .take(window.limit)
      .getManyAndCount();
    return { items, total };
  }

  private incidentQuery(filter: IncidentFilter, sort: ReadonlyArray<SortKey<IncidentSortField>> = []) {
    const query = this.dataSource.getRepository(IncidentEntity).createQueryBuilder('incident');
    for (const term of orderTerms(sort.length > 0 ? sort : NEWEST_FIRST, INCIDENT_SORT_COLUMNS, [
      'incident.id',
    ])) {
      query.addOrderBy(term.column, term.order, 'NULLS LAST');
    }
    if (filter.state) query.andWhere('incident.status = :state', { state: filter.state });
    if (filter.incidentId) query.andWhere('incident.id = :incidentId', { incidentId: filter.incidentId });
    if (filter.instanceId)
      query.andWhere('incident.instanceId = :instanceId', { instanceId: filter.instanceId });
    if (filter.jobId) query.andWhere('incident.jobId = :jobId', { jobId: filter.jobId });
    if (filter.processKey) {
      query.andWhere(
        'EXISTS (SELECT 1 FROM process_instance i WHERE i.id = incident.instance_id AND i.process_key = :processKey)',
        { processKey: filter.processKey },
      );
    }
    return query;
  }

  /** A page of the instance's history events of these types, in the order they were written. */
  async historyPage(
    instanceId: string,
    types: readonly string[],
    page: { page: number; pageSize: number },
  ): Promise<Page<HistoryEventEntity>> {
    const query = this.dataSource
      .getRepository(HistoryEventEntity)
      .createQueryBuilder('h')
      .where('h.instance_id = :instanceId', { instanceId })
      .andWhere('h.type IN (:...types)', { types })
      .orderBy('h.id', 'ASC');
    return paginate(query, page);
  }

  /**
   * What an instance's history tells of some of its elements and executions, without reading it all: the name the
   * latest event of each element gave it, and when the latest event of each execution was written.
   */
  async historyFacts(
    instanceId: string,
    elementIds: readonly string[],
    executionIds: readonly string[],
  ): Promise<{ names: Map<string, string | null>; lastAt: Map<string, Date> }> {
    const names = new Map<string, string | null>();
    const lastAt = new Map<string, Date>();
    if (elementIds.length === 0 && executionIds.length === 0) return { names, lastAt };
    const rows: Array<{
      element_id: string | null;
      element_name: string | null;
      execution_id: string | null;
      at: Date | null;
    }> = await this.dataSource.query(
      `SELECT * FROM (SELECT DISTINCT ON (element_id) element_id, element_name, NULL AS execution_id,
                                NULL::timestamptz AS at
                           FROM history_event WHERE instance_id = $1 AND element_id = ANY($2::text[])
                          ORDER BY element_id, id DESC) named
         UNION ALL
         SELECT * FROM (SELECT DISTINCT ON (execution_id) NULL, NULL, execution_id, created_at
                           FROM history_event WHERE instance_id = $1 AND execution_id = ANY($3::text[])
                          ORDER BY execution_id, id DESC) latest`,
      [instanceId, [...new Set(elementIds)], [...new Set(executionIds)]],
    );
    for (const row of rows) {
      if (row.element_id !== null) names.set(row.element_id, row.element_name);
      else if (row.execution_id !== null && row.at !== null) lastAt.set(row.execution_id, row.at);
    }
    return { names, lastAt };
  }

  /** The instance's history in the order it was written. */
  async history(instanceId: string): Promise<HistoryEventEntity[]> {
    return this.dataSource
      .getRepository(HistoryEventEntity)
      .find({ where: { instanceId }, order: { id: 'ASC' } });
  }
}
