import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { hasRole, type AuthUser } from '../identity/auth.decorators.js';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../platform/errors.js';
import { FormService } from '../definitions/form.service.js';
import { TaskMetrics } from './task.metrics.js';
import { TaskRepository } from './task.repository.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { assertVariables } from '../instances/json-variables.js';
import { HistoryEventEntity } from '../instances/history-event.entity.js';
import { InstanceRepository } from '../instances/instance.repository.js';
import { InstanceService } from '../instances/instance.service.js';
import { ReleaseEntity } from '../releases/release.entity.js';
import { UserService } from '../identity/user.service.js';
import { segregationViolation } from './segregation.js';
import type { TaskQueryDto } from './task.dto.js';
import { UserTaskEntity } from './user-task.entity.js';

export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
}

const SORT_COLUMNS = { dueAt: 't.due_at', priority: 't.priority', createdAt: 't.created_at' } as const;

/** The task inbox: who sees, claims, assigns and completes which task. */
@Injectable()
export class TaskService {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(InstanceRepository) private readonly history: InstanceRepository,
    @Inject(FormService) private readonly forms: FormService,
    @Inject(UserService) private readonly users: UserService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TaskMetrics) private readonly metrics: TaskMetrics,
    @Inject(TaskRepository) private readonly taskRows: TaskRepository,
  ) {}

  /** Open tasks by candidate group (a task offered to two groups counts in both), for gauges. */
  async openByGroup(): Promise<Array<{ candidateGroup: string; n: number }>> {
    return this.taskRows.countOpenByGroup();
  }

  /** Coordinators see every task; everyone else the tasks assigned to them or open to one of their groups. */
  private seesAll(user: AuthUser): boolean {
    return hasRole(user, 'admin', 'project-manager');
  }

  private inGroups(user: AuthUser, task: UserTaskEntity): boolean {
    return task.candidateGroups.some((group) => user.roles.includes(group as never));
  }

  async list(user: AuthUser, filter: TaskQueryDto): Promise<Page<UserTaskEntity>> {
    const query = this.dataSource
      .getRepository(UserTaskEntity)
      .createQueryBuilder('t')
      .where('t.status = :status', { status: filter.status ?? 'open' });
    if (!this.seesAll(user)) {
      query.andWhere('(t.assignee = :me OR (t.assignee IS NULL AND t.candidate_groups && :roles::text[]))', {
        me: user.username,
        roles: user.roles,
      });
    }
    if (filter.candidateGroup)
      query.andWhere(':group = ANY(t.candidate_groups)', { group: filter.candidateGroup });
    if (filter.assignee) {
      query.andWhere('t.assignee = :assignee', {
        assignee: filter.assignee === 'me' ? user.username : filter.assignee,
      });
    }
    if (filter.releaseId) query.andWhere('t.business_key = :releaseId', { releaseId: filter.releaseId });
    if (filter.processKey) query.andWhere('t.process_key = :processKey', { processKey: filter.processKey });
    if (filter.class) {
      query.andWhere(
        'EXISTS (SELECT 1 FROM release r WHERE r.id::text = t.business_key AND r.class = :class)',
        {
          class: filter.class,
        },
      );
    }
    if (filter.dueBefore) query.andWhere('t.due_at < :dueBefore', { dueBefore: new Date(filter.dueBefore) });
    if (filter.createdFrom)
      query.andWhere('t.created_at >= :createdFrom', { createdFrom: new Date(filter.createdFrom) });
    if (filter.createdTo)
      query.andWhere('t.created_at < :createdTo', { createdTo: new Date(filter.createdTo) });

    const descending = filter.sort.startsWith('-');
    const column = SORT_COLUMNS[filter.sort.replace(/^-/, '') as keyof typeof SORT_COLUMNS];
    query.orderBy(column, descending ? 'DESC' : 'ASC', 'NULLS LAST');
    // Tie-breakers only on other columns: TypeORM keeps one ORDER BY entry per column.
    if (column !== 't.created_at') query.addOrderBy('t.created_at', 'ASC');
    const [items, total] = await query
      .addOrderBy('t.id', 'ASC')
      .skip((filter.page - 1) * filter.pageSize)
      .take(filter.pageSize)
      .getManyAndCount();
    return { items, total, page: filter.page, pageSize: filter.pageSize };
  }

  /** A task with its form schema and its own history. */
  async get(user: AuthUser, taskId: string) {
    const task = await this.find(taskId);
    if (!this.seesAll(user) && task.assignee !== user.username && !this.inGroups(user, task)) {
      throw new ForbiddenError(`task ${taskId} belongs to ${task.candidateGroups.join(', ')}`);
    }
    const history = await this.dataSource
      .getRepository(HistoryEventEntity)
      .createQueryBuilder('h')
      .where('h.instance_id = :instanceId', { instanceId: task.instanceId })
      .andWhere("(h.execution_id = :executionId OR h.data->>'taskId' = :taskId)", {
        executionId: task.executionId,
        taskId: task.id,
      })
      .orderBy('h.id', 'ASC')
      .getMany();
    return {
      ...task,
      form: task.formKey && this.forms.has(task.formKey) ? this.forms.schema(task.formKey) : null,
      history,
    };
  }

  async claim(user: AuthUser, taskId: string): Promise<UserTaskEntity> {
    const task = await this.find(taskId);
    if (!this.inGroups(user, task)) {
      throw new ForbiddenError(`only members of ${task.candidateGroups.join(', ')} may claim this task`);
    }
    const claimed = await this.setAssignee(
      task,
      user.username,
      'task.claimed',
      user.username,
      (t) => t.assignee === null || t.assignee === user.username,
    );
    return claimed;
  }

  async unclaim(user: AuthUser, taskId: string): Promise<UserTaskEntity> {
    const task = await this.find(taskId);
    // Being in the candidate group is not enough: a colleague could take over someone's claimed work.
    if (task.assignee !== user.username && !this.seesAll(user)) {
      throw new ForbiddenError(
        `only the assignee (${task.assignee ?? 'nobody'}), a project manager or an administrator may give this task back`,
      );
    }
    return this.setAssignee(task, null, 'task.unclaimed', user.username, (t) => t.assignee === task.assignee);
  }

  async assign(user: AuthUser, taskId: string, assignee: string): Promise<UserTaskEntity> {
    const task = await this.find(taskId);
    const target = await this.users.findByUsername(assignee);
    if (!target || !target.active) {
      throw new InvalidInputError(`user "${assignee}" does not exist`, [
        { field: 'assignee', message: 'unknown user' },
      ]);
    }
    if (!task.candidateGroups.some((group) => target.roles.includes(group as never))) {
      throw new InvalidInputError(`"${assignee}" is not in ${task.candidateGroups.join(', ')}`, [
        { field: 'assignee', message: 'is not in a candidate group of the task' },
      ]);
    }
    const violation = segregationViolation(task.formKey, target.username, await this.segregationFacts(task));
    if (violation) throw new ForbiddenError(`${assignee} may not take this task: ${violation}`);
    return this.setAssignee(task, target.username, 'task.assigned', user.username, () => true);
  }

  async complete(user: AuthUser, taskId: string, data: Record<string, unknown>): Promise<UserTaskEntity> {
    const task = await this.find(taskId);
    if (task.status !== 'open') throw new ConflictError(`task ${taskId} is already ${task.status}`);
    if (!this.inGroups(user, task)) {
      throw new ForbiddenError(`only members of ${task.candidateGroups.join(', ')} may complete this task`);
    }
    if (task.assignee && task.assignee !== user.username) {
      throw new ForbiddenError(`the task is assigned to ${task.assignee}`);
    }
    const violation = segregationViolation(task.formKey, user.username, await this.segregationFacts(task));
    if (violation) throw new ForbiddenError(violation);
    assertVariables(data, this.config.variablesMaxBytes, 'data');
    const validated = task.formKey ? this.forms.validate(task.formKey, data) : data;
    const completed = await this.instances.completeTask(taskId, validated, user.username, {
      byAssigneeOnly: true,
    });
    this.metrics.taskWaitingTime.observe(
      { form_key: task.formKey ?? 'none' },
      (Date.now() - task.createdAt.getTime()) / 1000,
    );
    return completed;
  }

  private async find(taskId: string): Promise<UserTaskEntity> {
    const task = await this.dataSource.getRepository(UserTaskEntity).findOneBy({ id: taskId });
    if (!task) throw new NotFoundError(`task ${taskId} does not exist`);
    return task;
  }

  private async segregationFacts(task: UserTaskEntity) {
    const release = task.businessKey
      ? await this.dataSource.getRepository(ReleaseEntity).findOneBy({ id: task.businessKey })
      : null;
    const builds: Array<{ actor: string }> = await this.dataSource.query(
      `SELECT DISTINCT actor FROM history_event
        WHERE instance_id = $1 AND type = 'task.completed' AND data->>'formKey' = 'build-record' AND actor IS NOT NULL`,
      [task.instanceId],
    );
    return { applicant: release?.createdBy ?? null, builders: new Set(builds.map((b) => b.actor)) };
  }

  /** Change the assignee of an open task if `allowed` still holds under the row lock. */
  private async setAssignee(
    task: UserTaskEntity,
    assignee: string | null,
    event: string,
    actor: string,
    allowed: (current: UserTaskEntity) => boolean,
  ): Promise<UserTaskEntity> {
    return this.dataSource.transaction(async (manager) => {
      // The instance row first, as every change to an instance takes it: one lock order, no deadlock.
      await this.history.lock(manager, task.instanceId);
      const current = await manager
        .getRepository(UserTaskEntity)
        .createQueryBuilder('t')
        .setLock('pessimistic_write')
        .where('t.id = :id', { id: task.id })
        .getOneOrFail();
      if (current.status !== 'open') throw new ConflictError(`task ${task.id} is already ${current.status}`);
      if (!allowed(current)) throw new ConflictError(`task ${task.id} is claimed by ${current.assignee}`);
      if (current.assignee === assignee) return current;
      current.assignee = assignee;
      current.claimedAt = assignee ? new Date() : null;
      await manager.getRepository(UserTaskEntity).save(current);
      await this.history.appendHistory(manager, current.instanceId, [
        {
          type: event,
          elementId: current.elementId,
          elementName: current.name,
          executionId: current.executionId,
          actor,
          data: { taskId: current.id, assignee },
        },
      ]);
      return current;
    });
  }
}
