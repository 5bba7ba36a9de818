import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { JsonObject } from '../platform/json.js';
import { pageWindow, totalFromPage } from '../platform/database/paginate.js';
import { orderBySql, orderTerms, type SortKey } from '../platform/database/sort.js';
import type { Page } from '../platform/http/page-query.dto.js';
import type { TaskQueryDto } from './task.dto.js';
import { UserTaskEntity } from './user-task.entity.js';

/**
 * Who sees a task that is not theirs to see by office, as SQL over the task row `t` (`:me` the username, `:roles`
 * their roles): assigned to them, completed by them, or unassigned and offered to one of their groups.
 */
const VISIBLE =
  '(t.assignee = :me OR t.completed_by = :me OR (t.assignee IS NULL AND t.candidate_groups && :roles::text[]))';
/**
 * VISIBLE for open tasks, which have no completer yet (completed_by is set only with the completion): without that
 * term each branch is one partial index (ix_user_task_assignee; the groups of the unassigned open tasks in
 * ix_user_task_open_offered), OR-ed as bitmaps, instead of a scan of the table.
 */
export const VISIBLE_OPEN =
  '(t.assignee = :me OR (t.assignee IS NULL AND t.candidate_groups && :roles::text[]))';

const SORT_COLUMNS = { dueAt: 't.due_at', priority: 't.priority', createdAt: 't.created_at' } as const;

/** The fields a task list sorts by, beside the list's own `sort`. */
export type TaskSortField = 'createdAt' | 'completedAt' | 'dueAt' | 'priority' | 'name';
const TASK_SORT_COLUMNS: Record<TaskSortField, string> = {
  createdAt: 't.created_at',
  completedAt: 't.completed_at',
  dueAt: 't.due_at',
  priority: 't.priority',
  name: 't.name',
};

/** Who is asking: a coordinator sees every task, anyone else their own and their groups' open ones. */
export interface TaskViewer {
  readonly username: string;
  readonly roles: readonly string[];
  readonly seesAll: boolean;
}

/** A filter a feature contributes, as SQL over the task row `t`, with its value bound as `:value`. */
export interface TaskListPredicate {
  readonly sql: string;
  readonly value: string;
}

/**
 * A field a feature adds to each task of a list or a detail (a release's number and title), as SQL over the task row
 * `t` giving its JSON value (NULL: nothing added), read in the list's own statement.
 */
export interface TaskListColumn {
  readonly field: string;
  readonly sql: string;
}

/** A task with the fields the features added. */
export interface DescribedTask {
  readonly task: UserTaskEntity;
  readonly added: Record<string, unknown>;
}

/** A new task's fields; `formVersion: 'latest'` links the form's latest version at its insert. */
export type NewUserTask = Omit<UserTaskEntity, 'id' | 'formVersion'> & {
  readonly formVersion: number | null | 'latest';
};

/** All SQL of the task rows (`user_task`); writes run inside the caller's transaction. */
@Injectable()
export class TaskRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * @param extra the contributed filters' predicates
   * @param searches the contributed search clauses (`:value` an ILIKE pattern), OR-ed with the step name
   * @param columns the contributed fields of each task (see TaskListColumn)
   * @param totalCap matching rows are counted exactly up to this many; past it `total` is the cap and
   *   `totalCapped` true
   * @param orderBy when it names fields, the order instead of the filter's `sort` (ties by id)
   */
  async list(
    viewer: TaskViewer,
    filter: TaskQueryDto,
    extra: readonly TaskListPredicate[] = [],
    searches: readonly string[] = [],
    columns: readonly TaskListColumn[] = [],
    totalCap = Number.MAX_SAFE_INTEGER - 1,
    orderBy: ReadonlyArray<SortKey<TaskSortField>> = [],
  ): Promise<Page<DescribedTask> & { readonly totalCapped: boolean }> {
    const completedBy = filter.completedBy === 'me' ? viewer.username : filter.completedBy;
    const status = filter.status ?? (completedBy ? 'completed' : 'open');
    // Plain SQL with positional parameters: a list is the request people (and their clients' polls) make most, and
    // the ORM's query building and hydration cost more than the statement.
    const parameters: unknown[] = [];
    const bind = (value: unknown) => `$${parameters.push(value)}`;
    const where = [`t.status = ${bind(status)}`];
    if (!viewer.seesAll) {
      const me = bind(viewer.username);
      const roles = bind(viewer.roles);
      where.push(
        (status === 'open' ? VISIBLE_OPEN : VISIBLE).replaceAll(':me', me).replaceAll(':roles', roles),
      );
    }
    if (completedBy) where.push(`t.completed_by = ${bind(completedBy)}`);
    if (filter.minPriority !== undefined) where.push(`t.priority >= ${bind(filter.minPriority)}`);
    if (filter.dueAfter) where.push(`t.due_at >= ${bind(new Date(filter.dueAfter))}`);
    if (filter.q?.trim()) {
      const search = bind(`%${filter.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
      const clauses = [`t.name ILIKE ${search}`, ...searches.map((sql) => sql.replaceAll(':value', search))];
      where.push(`(${clauses.join(' OR ')})`);
    }
    if (filter.candidateGroup) where.push(`${bind(filter.candidateGroup)} = ANY(t.candidate_groups)`);
    if (filter.assignee)
      where.push(`t.assignee = ${bind(filter.assignee === 'me' ? viewer.username : filter.assignee)}`);
    if (filter.releaseId) where.push(`t.business_key = ${bind(filter.releaseId)}`);
    if (filter.processKey) where.push(`t.process_key = ${bind(filter.processKey)}`);
    if (filter.instanceId) where.push(`t.instance_id = ${bind(filter.instanceId)}`);
    if (filter.elementId) where.push(`t.element_id = ${bind(filter.elementId)}`);
    for (const predicate of extra) where.push(predicate.sql.replaceAll(':value', bind(predicate.value)));
    if (filter.dueBefore) where.push(`t.due_at < ${bind(new Date(filter.dueBefore))}`);
    if (filter.createdFrom) where.push(`t.created_at >= ${bind(new Date(filter.createdFrom))}`);
    if (filter.createdTo) where.push(`t.created_at < ${bind(new Date(filter.createdTo))}`);
    const matching = `FROM user_task t WHERE ${where.join(' AND ')}`;

    const order = orderBy.length > 0 ? [orderBySql(orderTerms(orderBy, TASK_SORT_COLUMNS, ['t.id']))] : [];
    if (order.length === 0) {
      const descending = filter.sort.startsWith('-');
      const column = SORT_COLUMNS[filter.sort.replace(/^-/, '') as keyof typeof SORT_COLUMNS];
      order.push(`${column} ${descending ? 'DESC' : 'ASC'} NULLS LAST`);
      if (column !== 't.created_at') order.push('t.created_at ASC');
      order.push('t.id ASC');
    }

    // A page that is not full tells the total by itself (most lists of one release or one instance): no count.
    // Otherwise the count without the order, over at most one row more than the cap: counting all of 100,000 open
    // tasks on every page would cost more than the page.
    const { offset, limit } = pageWindow(filter);
    const pageParameters = [...parameters, limit, offset];
    const rows: Array<TaskRow & Record<string, unknown>> = await this.dataSource.query(
      `SELECT ${selectDescribed(columns)} ${matching} ORDER BY ${order.join(', ')}
        LIMIT $${pageParameters.length - 1} OFFSET $${pageParameters.length}`,
      pageParameters,
    );
    const items = rows.map((row) => describedOf(row, columns));
    let n = totalFromPage(filter, items.length);
    if (n === undefined) {
      const counted: Array<{ n: number }> = await this.dataSource.query(
        `SELECT count(*)::int AS n FROM (SELECT 1 ${matching} LIMIT ${bind(totalCap + 1)}) matching`,
        parameters,
      );
      n = counted[0]?.n ?? 0;
    }
    return {
      items,
      total: Math.min(n, totalCap),
      totalCapped: n > totalCap,
      page: filter.page,
      pageSize: filter.pageSize,
    };
  }

  async find(taskId: string): Promise<UserTaskEntity | null> {
    const rows: TaskRow[] = await this.dataSource.query(
      `SELECT ${TASK_COLUMNS} FROM user_task WHERE id = $1`,
      [taskId],
    );
    return rows[0] ? taskOf(rows[0]) : null;
  }

  /** A task with the features' fields, in one statement; null when it does not exist. */
  async findDescribed(taskId: string, columns: readonly TaskListColumn[]): Promise<DescribedTask | null> {
    const rows: Array<TaskRow & Record<string, unknown>> = await this.dataSource.query(
      `SELECT ${selectDescribed(columns)} FROM user_task t WHERE t.id = $1`,
      [taskId],
    );
    return rows[0] ? describedOf(rows[0], columns) : null;
  }

  /** The open tasks of an instance, oldest first. */
  async openOf(instanceId: string): Promise<UserTaskEntity[]> {
    const rows: TaskRow[] = await this.dataSource.query(
      `SELECT ${TASK_COLUMNS} FROM user_task WHERE instance_id = $1 AND status = $2 ORDER BY created_at ASC`,
      [instanceId, 'open'],
    );
    return rows.map(taskOf);
  }

  /** The instance's open tasks waiting in an element, inside the caller's transaction. */
  async openOfElement(
    manager: EntityManager,
    instanceId: string,
    elementId: string,
  ): Promise<UserTaskEntity[]> {
    return manager
      .getRepository(UserTaskEntity)
      .find({ where: { instanceId, elementId, status: 'open' }, order: { createdAt: 'ASC' } });
  }

  async markEscalated(manager: EntityManager, task: UserTaskEntity): Promise<void> {
    const { id, candidateGroups, priority, escalatedAt, escalatedTo } = task;
    await manager
      .getRepository(UserTaskEntity)
      .update({ id }, { candidateGroups, priority, escalatedAt, escalatedTo });
  }

  /** Take the task's row lock (after its instance's: one lock order); null when it does not exist. */
  async lock(manager: EntityManager, taskId: string): Promise<UserTaskEntity | null> {
    const rows: TaskRow[] = await manager.query(
      `SELECT ${TASK_COLUMNS} FROM user_task WHERE id = $1 FOR UPDATE`,
      [taskId],
    );
    return rows[0] ? taskOf(rows[0]) : null;
  }

  async setAssignee(manager: EntityManager, task: UserTaskEntity): Promise<void> {
    await manager
      .getRepository(UserTaskEntity)
      .update({ id: task.id }, { assignee: task.assignee, claimedAt: task.claimedAt });
  }

  /**
   * Complete an open task in one statement, which takes its row lock (after its instance's: one lock order): with
   * `byAssigneeOnly`, only when it is unassigned or assigned to `completedBy`. The completed task; null when it was
   * not completed (it does not exist, is no longer open, or is someone else's: `lock` tells which).
   */
  async complete(
    manager: EntityManager,
    taskId: string,
    completion: {
      output: JsonObject;
      completedBy: string | null;
      completedAt: Date;
      byAssigneeOnly: boolean;
    },
  ): Promise<UserTaskEntity | null> {
    // TypeORM answers an UPDATE ... RETURNING with [rows, affected count].
    const [rows]: [TaskRow[], number] = await manager.query(
      `UPDATE user_task SET status = 'completed', output = $2::jsonb, completed_by = $3, completed_at = $4
        WHERE id = $1 AND status = 'open'
          AND (NOT $5::boolean OR assignee IS NULL OR assignee IS NOT DISTINCT FROM $3)
        RETURNING ${TASK_COLUMNS}`,
      [
        taskId,
        JSON.stringify(completion.output),
        completion.completedBy,
        completion.completedAt,
        completion.byAssigneeOnly,
      ],
    );
    return rows[0] ? taskOf(rows[0]) : null;
  }

  /** Execution ids of the instance's open tasks. */
  async openExecutionIds(manager: EntityManager, instanceId: string): Promise<string[]> {
    const rows = await manager
      .getRepository(UserTaskEntity)
      .find({ select: { executionId: true }, where: { instanceId, status: 'open' } });
    return rows.map((r) => r.executionId);
  }

  /**
   * Insert new tasks in one statement. A task whose `formVersion` is `latest` links the latest deployed version of
   * its form, looked up by `latestFormVersion` (SQL over a bound parameter, e.g. `$3`, holding the form id) in the
   * same statement.
   */
  async insert(
    manager: EntityManager,
    tasks: ReadonlyArray<NewUserTask>,
    latestFormVersion?: (parameter: string) => string,
  ): Promise<void> {
    if (tasks.length === 0) return;
    // Plain SQL: every step of a flow opens a task here, on the engine's path, and the ORM's insert building cost
    // more than the statement.
    const parameters: unknown[] = [];
    const bind = (value: unknown) => `$${parameters.push(value)}`;
    const rows = tasks.map((task) => {
      let formVersion: string;
      if (task.formVersion !== 'latest') formVersion = bind(task.formVersion);
      else if (!latestFormVersion || !task.formKey)
        throw new Error('a task links the latest form without a form key');
      else formVersion = latestFormVersion(bind(task.formKey));
      const values = [
        bind(randomUUID()),
        bind(task.instanceId),
        bind(task.processKey),
        bind(task.businessKey),
        bind(task.elementId),
        bind(task.executionId),
        bind(task.name),
        bind(task.candidateGroups),
        bind(task.formKey),
        formVersion,
        bind(task.assignee),
        bind(task.claimedAt),
        bind(task.status),
        bind(task.priority),
        bind(task.dueAt),
        bind(task.output === null ? null : JSON.stringify(task.output)),
        bind(task.completedBy),
        bind(task.createdAt),
        bind(task.completedAt),
        bind(task.escalatedAt),
        bind(task.escalatedTo),
      ];
      return `(${values.join(', ')})`;
    });
    await manager.query(`INSERT INTO user_task (${TASK_COLUMNS}) VALUES ${rows.join(', ')}`, parameters);
  }

  /** Close the instance's open tasks waiting in these executions, at the time `at`. */
  async close(
    manager: EntityManager,
    instanceId: string,
    executionIds: readonly string[],
    status: 'completed' | 'cancelled',
    at: Date,
  ): Promise<void> {
    if (executionIds.length === 0) return;
    await manager
      .getRepository(UserTaskEntity)
      .update(
        { instanceId, executionId: In([...executionIds]), status: 'open' },
        { status, completedAt: at },
      );
  }

  /** Open tasks by candidate group (a task offered to two groups counts in both). */
  async countOpenByGroup(): Promise<Array<{ candidateGroup: string; n: number }>> {
    return this.dataSource.query(
      `SELECT unnest(candidate_groups) AS "candidateGroup", count(*)::int AS n
         FROM user_task WHERE status = 'open' GROUP BY 1`,
    );
  }
}

const TASK_COLUMNS = `id, instance_id, process_key, business_key, element_id, execution_id, name, candidate_groups,
  form_key, form_version, assignee, claimed_at, status, priority, due_at, output, completed_by, created_at,
  completed_at, escalated_at, escalated_to`;

interface TaskRow {
  id: string;
  instance_id: string;
  process_key: string;
  business_key: string | null;
  element_id: string;
  execution_id: string;
  name: string | null;
  candidate_groups: string[];
  form_key: string | null;
  form_version: number | null;
  assignee: string | null;
  claimed_at: Date | null;
  status: UserTaskEntity['status'];
  priority: number;
  due_at: Date | null;
  output: JsonObject | null;
  completed_by: string | null;
  created_at: Date;
  completed_at: Date | null;
  escalated_at: Date | null;
  escalated_to: string | null;
}

/** A row read with plain SQL as the entity: a task's claim and completion skip the ORM's hydration. */
function taskOf(row: TaskRow): UserTaskEntity {
  return Object.assign(new UserTaskEntity(), {
    id: row.id,
    instanceId: row.instance_id,
    processKey: row.process_key,
    businessKey: row.business_key,
    elementId: row.element_id,
    executionId: row.execution_id,
    name: row.name,
    candidateGroups: row.candidate_groups,
    formKey: row.form_key,
    formVersion: row.form_version,
    assignee: row.assignee,
    claimedAt: row.claimed_at,
    status: row.status,
    priority: row.priority,
    dueAt: row.due_at,
    output: row.output,
    completedBy: row.completed_by,
    createdAt: row.created_at,
    completedAt: row.completed_at,
    escalatedAt: row.escalated_at,
    escalatedTo: row.escalated_to,
  });
}

/** The task's columns (of the row `t`) and each contributed column as `described_<i>`. */
function selectDescribed(columns: readonly TaskListColumn[]): string {
  const task = TASK_COLUMNS.split(',').map((name) => `t.${name.trim()}`);
  return [...task, ...columns.map((column, i) => `(${column.sql}) AS described_${i}`)].join(', ');
}

/** A row of selectDescribed as the task with each column's value added under its field (a NULL adds nothing). */
function describedOf(
  row: TaskRow & Record<string, unknown>,
  columns: readonly TaskListColumn[],
): DescribedTask {
  const added: Record<string, unknown> = {};
  columns.forEach((column, i) => {
    const value = row[`described_${i}`];
    if (value !== null && value !== undefined) added[column.field] = value;
  });
  return { task: taskOf(row), added };
}
