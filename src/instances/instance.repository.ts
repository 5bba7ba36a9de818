import type { JsonObject } from '../platform/json.js';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Clock } from '../platform/clock.js';
import type { JobStatus } from '../queue/job.entity.js';
import { HistoryEventEntity } from './history-event.entity.js';
import { IncidentEntity } from './incident.entity.js';
import { ProcessInstanceEntity } from './process-instance.entity.js';

export interface HistoryRecord {
  readonly type: string;
  readonly elementId?: string | null;
  readonly elementName?: string | null;
  readonly executionId?: string | null;
  readonly actor?: string | null;
  readonly data?: JsonObject | null;
}

/**
 * More rows written by the statement that saves an instance, as data-modifying WITH clauses (new jobs): their
 * parameters numbered from `first`, the instance id in parameter `instanceParam`; written only where `condition`
 * holds, when one is given.
 */
export type MoreWrites = (
  instanceParam: number,
  first: number,
  condition?: string,
) => { sql: string; params: unknown[] };

/**
 * Several writes as the WITH clauses of one statement, each numbering its parameters after the one before; undefined
 * when there are none.
 */
export function joinWrites(...writes: ReadonlyArray<MoreWrites | undefined>): MoreWrites | undefined {
  const present = writes.filter((write): write is MoreWrites => write !== undefined);
  if (present.length <= 1) return present[0];
  return (instanceParam, first, condition) => {
    const clauses: string[] = [];
    const params: unknown[] = [];
    for (const write of present) {
      const clause = write(instanceParam, first + params.length, condition);
      clauses.push(clause.sql);
      params.push(...clause.params);
    }
    return { sql: clauses.join(', '), params };
  };
}

/** A job as it is read with its instance, under both row locks. */
export interface LockedJob {
  readonly id: string;
  readonly status: JobStatus;
  readonly jobType: string;
  readonly elementId: string;
  readonly executionId: string;
  /** The attempts counted on the row so far. */
  readonly attempts: number;
}

/**
 * The JSON texts of an instance's engine state and variables, already taken from the values set on the entity (an
 * engine pass serialises them once): written as they are instead of being serialised again.
 */
export interface SerializedInstance {
  readonly engineState: string | null;
  readonly variables: string;
}

/** How many instances of a process and release class are in a status. */
export interface InstanceCount {
  readonly process: string;
  readonly class: string;
  readonly status: string;
  readonly n: number;
}

/** How many incidents of a job type are open for a process and release class. */
export interface IncidentCount {
  readonly process: string;
  readonly class: string;
  readonly jobType: string;
  readonly n: number;
}

/**
 * All database work of the instance service; every method runs inside the caller's transaction. The times it
 * stores (start, update, history, incident resolution) are the service clock's, not the database's.
 */
export class InstanceRepository {
  constructor(private readonly clock: Clock) {}

  /** Take the instance's row lock: no other process advances it until this transaction ends. */
  async lock(manager: EntityManager, instanceId: string): Promise<ProcessInstanceEntity | null> {
    const rows: InstanceRow[] = await manager.query(
      `SELECT ${INSTANCE_COLUMNS} FROM process_instance WHERE id = $1 FOR UPDATE`,
      [instanceId],
    );
    return rows[0] ? instanceOf(rows[0]) : null;
  }

  /**
   * Take the row lock of a job's instance in one statement; null when the job or its instance does not exist. A job
   * never changes instance, so reading its instance id from the statement's snapshot is safe.
   */
  async lockOfJob(manager: EntityManager, jobId: string): Promise<ProcessInstanceEntity | null> {
    const rows: InstanceRow[] = await manager.query(
      `SELECT ${INSTANCE_COLUMNS} FROM process_instance
        WHERE id = (SELECT instance_id FROM job WHERE id = $1) FOR UPDATE`,
      [jobId],
    );
    return rows[0] ? instanceOf(rows[0]) : null;
  }

  /**
   * Take the row locks of a job's instance and then of the job (the order every change of an instance takes) in one
   * statement, and read both as they are once the locks are held: a job another transaction completed while this one
   * waited reads as completed. Null when the job or its instance does not exist.
   */
  async lockWithJob(
    manager: EntityManager,
    jobId: string,
  ): Promise<{ instance: ProcessInstanceEntity; job: LockedJob } | null> {
    const rows: Array<InstanceRow & LockedJobRow> = await manager.query(
      `SELECT ${INSTANCE_COLUMNS_OF_I}, j.id AS job_id, j.status AS job_status, j.job_type,
              j.element_id AS job_element_id, j.execution_id AS job_execution_id, j.attempts AS job_attempts
         FROM process_instance i JOIN job j ON j.instance_id = i.id
        WHERE j.id = $1
          FOR UPDATE OF i FOR NO KEY UPDATE OF j`,
      [jobId],
    );
    const row = rows[0];
    if (!row) return null;
    return {
      instance: instanceOf(row),
      job: {
        id: row.job_id,
        status: row.job_status,
        jobType: row.job_type,
        elementId: row.job_element_id,
        executionId: row.job_execution_id,
        attempts: row.job_attempts,
      },
    };
  }

  /** The running child instances a call activity of this instance started (all of them, or the one of a wait). */
  async runningChildren(manager: EntityManager, parentId: string, executionIds?: readonly string[]) {
    const rows: Array<{ id: string }> = await manager.query(
      `SELECT id FROM process_instance
        WHERE parent_instance_id = $1 AND status = 'running' AND ($2::varchar[] IS NULL OR parent_execution_id = ANY($2))
        ORDER BY started_at`,
      [parentId, executionIds ?? null],
    );
    return rows.map((r) => r.id);
  }

  /** Record the correlation key of the message that started the instance at its message start event. */
  async setStartCorrelationKey(manager: EntityManager, instanceId: string, key: string): Promise<void> {
    await manager.query('UPDATE process_instance SET start_correlation_key = $2 WHERE id = $1', [
      instanceId,
      key,
    ]);
  }

  /** Whether an instance of the process that a message with this key started still runs. */
  async runsStartedWith(manager: EntityManager, processKey: string, key: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM process_instance
        WHERE process_key = $1 AND start_correlation_key = $2 AND status = 'running' LIMIT 1`,
      [processKey, key],
    );
    return rows.length > 0;
  }

  /** Read without a lock. */
  async find(manager: EntityManager, instanceId: string): Promise<ProcessInstanceEntity | null> {
    return manager.getRepository(ProcessInstanceEntity).findOneBy({ id: instanceId });
  }

  /**
   * Insert a new instance, and append `history` to it in the same statement; its start and update times are the
   * clock's (filled in on the entity). `latestVersion`: the version the caller took for its process's latest;
   * when a newer version is deployed, nothing is written and the answer is false (the caller asks again).
   */
  async insertInstance(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    history: readonly HistoryRecord[] = [],
    latestVersion: number | null = null,
    more?: MoreWrites,
    serialized?: SerializedInstance,
  ): Promise<boolean> {
    const now = this.clock.now();
    const also = more?.(1, 17 + historyParameterCount(history), 'EXISTS (SELECT 1 FROM inserted)');
    const rows: unknown[] = await manager.query(
      `WITH inserted AS (
         INSERT INTO process_instance (id, definition_id, process_key, business_key, status, end_status, engine_state,
                                       variables, waits, read_only_variables, revision, ended_at, parent_instance_id,
                                       parent_execution_id, started_at, updated_at)
         SELECT $1::uuid, $2::uuid, $3::varchar, $4::varchar, $5::varchar, $6::varchar, $7::jsonb, $8::jsonb, $9::jsonb,
                $10::text[], $11::int, $12::timestamptz, $13::uuid, $14::varchar, $16::timestamptz, $16::timestamptz
          WHERE NOT EXISTS (SELECT 1 FROM process_definition WHERE process_key = $3 AND version > $15::int)
         RETURNING 1)${
           history.length === 0
             ? ''
             : `, history AS (${historyInsert(1, 17, 'EXISTS (SELECT 1 FROM inserted)')})`
         }${also ? `, ${also.sql}` : ''}
       SELECT 1 FROM inserted`,
      [
        instance.id,
        instance.definitionId,
        instance.processKey,
        instance.businessKey,
        instance.status,
        instance.endStatus,
        serialized ? serialized.engineState : json(instance.engineState),
        serialized ? serialized.variables : json(instance.variables),
        json(instance.waits),
        instance.readOnlyVariables,
        instance.revision,
        instance.endedAt,
        instance.parentInstanceId ?? null,
        instance.parentExecutionId ?? null,
        latestVersion,
        now,
        ...historyParameters(history, now),
        ...(also?.params ?? []),
      ],
    );
    if (rows.length === 0) return false;
    instance.startedAt = now;
    instance.updatedAt = now;
    return true;
  }

  /**
   * Write back what a pass changed of an instance read under its lock, and append `history` (and `more`), in one
   * statement.
   */
  async saveInstance(
    manager: EntityManager,
    instance: ProcessInstanceEntity,
    history: readonly HistoryRecord[] = [],
    more?: MoreWrites,
    serialized?: SerializedInstance,
  ): Promise<void> {
    instance.updatedAt = this.clock.now();
    const also = more?.(1, 10 + historyParameterCount(history));
    await manager.query(
      `${withClauses(history, 9, also?.sql)}UPDATE process_instance SET status = $2, end_status = $3, engine_state = $4, variables = $5, waits = $6,
              revision = $7, ended_at = $8, updated_at = $9
        WHERE id = $1`,
      [
        instance.id,
        instance.status,
        instance.endStatus,
        serialized ? serialized.engineState : json(instance.engineState),
        serialized ? serialized.variables : json(instance.variables),
        json(instance.waits),
        instance.revision,
        instance.endedAt,
        instance.updatedAt,
        ...historyParameters(history, instance.updatedAt),
        ...(also?.params ?? []),
      ],
    );
  }

  /** Insert an open incident and count it on its instance. */
  async insertIncident(
    manager: EntityManager,
    incident: Omit<IncidentEntity, 'id' | 'createdAt'>,
  ): Promise<IncidentEntity> {
    const entity = manager
      .getRepository(IncidentEntity)
      .create({ ...incident, id: randomUUID(), createdAt: this.clock.now() });
    await manager.getRepository(IncidentEntity).insert(entity);
    await manager.query('UPDATE process_instance SET open_incidents = open_incidents + 1 WHERE id = $1', [
      entity.instanceId,
    ]);
    return entity;
  }

  async findIncident(manager: EntityManager, incidentId: string): Promise<IncidentEntity | null> {
    return manager.getRepository(IncidentEntity).findOneBy({ id: incidentId });
  }

  /** Mark an open incident resolved (as the entity says: when, by whom, why) and count it off its instance. */
  async resolveIncident(manager: EntityManager, incident: IncidentEntity): Promise<void> {
    await manager.query(
      `WITH resolved AS (
         UPDATE incident SET status = 'resolved', resolved_at = $2, resolved_by = $3, comment = $4
          WHERE id = $1 AND status = 'open' RETURNING instance_id)
       UPDATE process_instance SET open_incidents = GREATEST(open_incidents - 1, 0)
        WHERE id = (SELECT instance_id FROM resolved)`,
      [incident.id, incident.resolvedAt, incident.resolvedBy, incident.comment],
    );
    incident.status = 'resolved';
  }

  /** Resolve every open incident of an instance (it was cancelled). */
  async resolveOpenIncidents(
    manager: EntityManager,
    instanceId: string,
    comment: string,
    actor: string | null,
  ): Promise<void> {
    await this.resolveIncidentsAt(manager, instanceId, 'all', comment, actor);
  }

  /**
   * Resolve the open incidents of an instance at the waits it left (their executions, or the jobs that served
   * them), or all of them, and count them off; the incidents resolved come back, for the history.
   */
  async resolveIncidentsAt(
    manager: EntityManager,
    instanceId: string,
    at: { readonly executionIds: readonly string[]; readonly jobIds: readonly string[] } | 'all',
    comment: string,
    actor: string | null,
  ): Promise<ResolvedIncident[]> {
    const rows: ResolvedIncidentRow[] = await manager.query(
      `WITH resolved AS (
         UPDATE incident SET status = 'resolved', resolved_at = $2, resolved_by = $3, comment = $4
          WHERE instance_id = $1 AND status = 'open'
            AND ($5::boolean OR execution_id = ANY($6::varchar[]) OR job_id = ANY($7::uuid[]))
         RETURNING id, element_id, execution_id, job_id, job_type, error_type),
       counted AS (
         UPDATE process_instance SET open_incidents = GREATEST(open_incidents - (SELECT count(*) FROM resolved), 0)
          WHERE id = $1 AND EXISTS (SELECT 1 FROM resolved))
       SELECT * FROM resolved ORDER BY id`,
      [
        instanceId,
        this.clock.now(),
        actor,
        comment,
        at === 'all',
        at === 'all' ? [] : at.executionIds,
        at === 'all' ? [] : at.jobIds,
      ],
    );
    return rows.map((r) => ({
      id: r.id,
      elementId: r.element_id,
      executionId: r.execution_id,
      jobId: r.job_id,
      jobType: r.job_type,
      errorType: r.error_type,
    }));
  }

  async appendHistory(
    manager: EntityManager,
    instanceId: string,
    records: readonly HistoryRecord[],
  ): Promise<void> {
    if (records.length === 0) return;
    await manager.query(historyInsert(1, 2), [instanceId, ...historyParameters(records, this.clock.now())]);
  }

  /** A user task's history: the events of its wait and those that name the task (claims, assignments). */
  async historyOfTask(
    manager: EntityManager,
    instanceId: string,
    executionId: string,
    taskId: string,
  ): Promise<HistoryEventEntity[]> {
    return manager
      .getRepository(HistoryEventEntity)
      .createQueryBuilder('h')
      .where('h.instance_id = :instanceId', { instanceId })
      .andWhere("(h.execution_id = :executionId OR h.data->>'taskId' = :taskId)", { executionId, taskId })
      .orderBy('h.id', 'ASC')
      .getMany();
  }

  /** Who completed a task with this form in the instance. */
  async actorsOf(manager: EntityManager, instanceId: string, formKey: string): Promise<string[]> {
    const rows: Array<{ actor: string }> = await manager.query(
      `SELECT DISTINCT actor FROM history_event
        WHERE instance_id = $1 AND type = 'task.completed' AND data->>'formKey' = $2 AND actor IS NOT NULL`,
      [instanceId, formKey],
    );
    return rows.map((r) => r.actor);
  }

  /** Instances by process, release class and status (a completed one by its end status), for gauges. */
  async countsByStatus(manager: EntityManager): Promise<InstanceCount[]> {
    return manager.query(
      `SELECT process_key AS process, coalesce(variables->>'releaseClass', 'none') AS class,
              CASE WHEN status = 'completed' THEN coalesce(end_status, 'completed') ELSE status END AS status,
              count(*)::int AS n
         FROM process_instance GROUP BY 1, 2, 3`,
    );
  }

  /** Open incidents by process, release class and job type (`none`: a gateway's, which has no job), for gauges. */
  async openIncidentsByClass(manager: EntityManager): Promise<IncidentCount[]> {
    return manager.query(
      `SELECT i.process_key AS process, coalesce(i.variables->>'releaseClass', 'none') AS class,
              coalesce(x.job_type, 'none') AS "jobType", count(*)::int AS n
         FROM incident x JOIN process_instance i ON i.id = x.instance_id
        WHERE x.status = 'open' GROUP BY 1, 2, 3`,
    );
  }
}

/** An incident resolved because its wait was left. */
export interface ResolvedIncident {
  readonly id: string;
  readonly elementId: string;
  readonly executionId: string | null;
  readonly jobId: string | null;
  readonly jobType: string | null;
  readonly errorType: IncidentEntity['errorType'];
}

interface ResolvedIncidentRow {
  id: string;
  element_id: string;
  execution_id: string | null;
  job_id: string | null;
  job_type: string | null;
  error_type: IncidentEntity['errorType'];
}

/** The columns of process_instance as the entity reads them; the engine state as text (see lazyEngineState). */
const INSTANCE_COLUMNS = `id, definition_id, process_key, business_key, status, end_status,
  engine_state::text AS engine_state, variables,
  waits, read_only_variables, revision, started_at, ended_at, updated_at, parent_instance_id, parent_execution_id,
  start_correlation_key, open_incidents`;

/** The same, of the instance aliased `i` (in a join). */
const INSTANCE_COLUMNS_OF_I = INSTANCE_COLUMNS.split(',')
  .map((column) => `i.${column.trim()}`)
  .join(', ');

interface LockedJobRow {
  job_id: string;
  job_status: JobStatus;
  job_type: string;
  job_element_id: string;
  job_execution_id: string;
  job_attempts: number;
}

interface InstanceRow {
  id: string;
  definition_id: string;
  process_key: string;
  business_key: string | null;
  status: ProcessInstanceEntity['status'];
  end_status: string | null;
  engine_state: string | null;
  variables: JsonObject;
  waits: ProcessInstanceEntity['waits'];
  read_only_variables: string[];
  revision: number;
  started_at: Date;
  ended_at: Date | null;
  updated_at: Date;
  parent_instance_id: string | null;
  parent_execution_id: string | null;
  start_correlation_key: string | null;
  open_incidents: number;
}

/** A row read with plain SQL as the entity: the hot path skips the ORM's hydration. */
function instanceOf(row: InstanceRow): ProcessInstanceEntity {
  const instance = Object.assign(new ProcessInstanceEntity(), {
    id: row.id,
    definitionId: row.definition_id,
    processKey: row.process_key,
    businessKey: row.business_key,
    status: row.status,
    endStatus: row.end_status,
    variables: row.variables,
    waits: row.waits,
    readOnlyVariables: row.read_only_variables,
    revision: row.revision,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    updatedAt: row.updated_at,
    parentInstanceId: row.parent_instance_id,
    parentExecutionId: row.parent_execution_id,
    startCorrelationKey: row.start_correlation_key,
    openIncidents: row.open_incidents,
  });
  return lazyEngineState(instance, row.engine_state);
}

/**
 * The engine state of a row locked for a pass is parsed when first read: a pass whose engine comes from the
 * live-engine cache never reads it, and parsing it (about 7.5 KB at each of shape b's waits) would be wasted.
 */
function lazyEngineState(instance: ProcessInstanceEntity, text: string | null): ProcessInstanceEntity {
  let value: JsonObject | null | undefined = text === null ? null : undefined;
  Object.defineProperty(instance, 'engineState', {
    configurable: true,
    enumerable: true,
    get: () => (value === undefined ? (value = JSON.parse(text as string) as JsonObject) : value),
    set: (next: JsonObject | null) => {
      value = next;
    },
  });
  return instance;
}

/**
 * One statement for a pass's history, in the order given (the ids, and so the history's order, follow it): the
 * instance id is parameter `instanceParam`, the six columns' arrays and then the events' time start at `first`
 * (see historyParameters); rows are written only where `condition` holds, when one is given.
 */
function historyInsert(instanceParam: number, first: number, condition?: string): string {
  const p = (i: number) => `$${first + i}`;
  return `INSERT INTO history_event (instance_id, type, element_id, element_name, execution_id, actor, data, created_at)
       SELECT $${instanceParam}::uuid, t.type, t.element_id, t.element_name, t.execution_id, t.actor, t.data,
              ${p(6)}::timestamptz
         FROM unnest(${p(0)}::varchar[], ${p(1)}::varchar[], ${p(2)}::varchar[], ${p(3)}::varchar[], ${p(4)}::varchar[],
                     ${p(5)}::jsonb[])
              WITH ORDINALITY AS t(type, element_id, element_name, execution_id, actor, data, n)${
                condition
                  ? `
        WHERE ${condition}`
                  : ''
              }
        ORDER BY t.n`;
}

/**
 * The history insert (and `more` clauses) as data-modifying WITHs in front of the instance's own statement
 * (parameter $1 is the instance id; the history's arrays follow the statement's own `ownParameters`): one round trip. A
 * WITH that writes runs to completion whether or not the main statement reads it, and the foreign key to a
 * process_instance row inserted by the same statement is checked at its end.
 */
function withClauses(records: readonly HistoryRecord[], ownParameters: number, more?: string): string {
  const clauses = [
    ...(records.length === 0 ? [] : [`history AS (${historyInsert(1, ownParameters + 1)})`]),
    ...(more ? [more] : []),
  ];
  return clauses.length === 0 ? '' : `WITH ${clauses.join(', ')} `;
}

/** How many parameters historyParameters gives for `records`. */
function historyParameterCount(records: readonly HistoryRecord[]): number {
  return records.length === 0 ? 0 : 7;
}

/** The history's parameters: its six columns' arrays, then the time all of them happened at. */
function historyParameters(records: readonly HistoryRecord[], at: Date): unknown[] {
  if (records.length === 0) return [];
  return [
    records.map((r) => r.type),
    records.map((r) => r.elementId ?? null),
    records.map((r) => r.elementName ?? null),
    records.map((r) => r.executionId ?? null),
    records.map((r) => r.actor ?? null),
    records.map((r) => json(r.data ?? null)),
    at,
  ];
}

/** jsonb parameters go as text: pg would send a JS array as a PostgreSQL array. */
function json(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}
