import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { hasRole, type AuthUser } from '../identity/auth.decorators.js';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../platform/errors.js';
import type { SortKey } from '../platform/database/sort.js';
import type { Page } from '../platform/http/page-query.dto.js';
import { FormService } from '../definitions/form.service.js';
import { DefinitionService } from '../definitions/definition.service.js';
import { EMBEDDED_FORM_PREFIX, type FormJsSchema } from '../definitions/index.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CLOCK, type Clock } from '../platform/clock.js';
import { assertVariables } from '../instances/index.js';
import { InstanceQueryService } from '../instances/instance-query.service.js';
import { InstanceService } from '../instances/instance.service.js';
import { UserService } from '../identity/user.service.js';
import { segregationViolation } from './segregation.js';
import { TaskExtensions } from './task-extensions.service.js';
import type { TaskQueryDto } from './task.dto.js';
import { TaskMetrics } from './task.metrics.js';
import { TaskRepository, type DescribedTask, type TaskSortField } from './task.repository.js';
import type { UserTaskEntity } from './user-task.entity.js';

export type { Page } from '../platform/http/page-query.dto.js';
export type { TaskSortField } from './task.repository.js';

/**
 * A task as lists and details show it: the row, its marks, and what the features that own its case add (a
 * release's number, title and class). `assignee` is who holds it.
 */
export type TaskView = UserTaskEntity & {
  /** Open and past its due time. */
  readonly overdue: boolean;
  /** Its time ran out once and it went to an escalation group (`escalatedAt`, `escalatedTo`). */
  readonly escalated: boolean;
  readonly [added: string]: unknown;
};
/** A task's form as the task list renders it. */
export interface TaskForm {
  readonly formId: string;
  /** The deployed version the task was created with; null for a form embedded in the process. */
  readonly version: number | null;
  readonly schema: FormJsSchema;
}

/** The task inbox: who sees, claims, assigns and completes which task. */
@Injectable()
export class TaskService {
  constructor(
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(InstanceQueryService) private readonly instanceQueries: InstanceQueryService,
    @Inject(FormService) private readonly forms: FormService,
    @Inject(UserService) private readonly users: UserService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TaskMetrics) private readonly metrics: TaskMetrics,
    @Inject(TaskRepository) private readonly taskRows: TaskRepository,
    @Inject(TaskExtensions) private readonly extensions: TaskExtensions,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
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

  /**
   * One page of the tasks the user may see, with what the features add, in one statement, and their number (exact up
   * to TASK_LIST_TOTAL_CAP; past it `total` is the cap and `totalCapped` true) in another. `orderBy`, when it names
   * fields, orders the page instead of `filter.sort`.
   */
  async list(
    user: AuthUser,
    filter: TaskQueryDto,
    orderBy: ReadonlyArray<SortKey<TaskSortField>> = [],
  ): Promise<Page<TaskView> & { totalCapped: boolean }> {
    const contributed = this.extensions.predicates({ class: filter.class, release: filter.release });
    const page = await this.taskRows.list(
      { username: user.username, roles: user.roles, seesAll: this.seesAll(user) },
      filter,
      contributed,
      this.extensions.searchClauses(),
      this.extensions.columns(),
      this.config.taskListTotalCap,
      orderBy,
    );
    return { ...page, items: page.items.map((t) => this.view(t)) };
  }

  /** A task with its marks and what the features add. */
  private view({ task, added }: DescribedTask): TaskView {
    return {
      ...task,
      ...added,
      overdue:
        task.status === 'open' && task.dueAt !== null && task.dueAt.getTime() < this.clock.now().getTime(),
      escalated: task.escalatedAt !== null,
    };
  }

  private mayView(user: AuthUser, task: UserTaskEntity, taskId: string): void {
    if (!this.seesAll(user) && task.assignee !== user.username && !this.inGroups(user, task)) {
      throw new ForbiddenError(`task ${taskId} belongs to ${task.candidateGroups.join(', ')}`);
    }
  }

  /** A task with its form (the form-js schema of the task's form version) and its own history. */
  async get(user: AuthUser, taskId: string) {
    const described = await this.taskRows.findDescribed(taskId, this.extensions.columns());
    if (!described) throw new NotFoundError(`task ${taskId} does not exist`);
    const { task } = described;
    this.mayView(user, task, taskId);
    const [history, form] = await Promise.all([
      this.instanceQueries.historyOfTask(task.instanceId, { executionId: task.executionId, taskId: task.id }),
      this.formOf(task),
    ]);
    return { ...this.view(described), form: form?.schema ?? null, history };
  }

  /** The form a task hands out: its id, the version the task was created with, and its form-js schema. */
  async form(user: AuthUser, taskId: string): Promise<TaskForm> {
    const task = await this.find(taskId);
    this.mayView(user, task, taskId);
    const form = await this.formOf(task);
    if (!form) throw new NotFoundError(`task ${taskId} has no form: it is completed with free variables`);
    return form;
  }

  /**
   * The task's form: a deployed form at the version the task was created with (a task from before forms were
   * versioned: the latest), or the form embedded in its process version; null when it links none (or one that is
   * not deployed).
   */
  private async formOf(task: UserTaskEntity): Promise<TaskForm | null> {
    if (!task.formKey) return null;
    if (task.formKey.startsWith(EMBEDDED_FORM_PREFIX)) {
      const definitionId = await this.instanceQueries.definitionIdOf(task.instanceId);
      const compiled = definitionId ? await this.definitions.compiledFor(definitionId) : undefined;
      const embedded = compiled?.elements.get(task.elementId)?.embeddedForm;
      if (embedded === undefined) return null;
      const schema = JSON.parse(embedded) as FormJsSchema;
      return { formId: task.formKey, version: null, schema };
    }
    try {
      const form = await this.forms.version(task.formKey, task.formVersion);
      return { formId: form.formId, version: form.version, schema: form.schema };
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
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
    const violation = segregationViolation(
      task.formKey,
      target.username,
      await this.extensions.segregationFacts(task),
    );
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
    const violation = segregationViolation(
      task.formKey,
      user.username,
      await this.extensions.segregationFacts(task),
    );
    if (violation) throw new ForbiddenError(violation);
    assertVariables(data, this.config.variablesMaxBytes, 'data');
    const form = await this.formOf(task);
    if (task.formKey && !form)
      throw new InvalidInputError(`the task's form "${task.formKey}" is not deployed on this server`);
    const validated = form
      ? this.forms.validateWith(form.schema, data, form.schema.name ?? form.formId)
      : data;
    const completed = await this.completeUnderLock(task, validated, user.username, { byAssigneeOnly: true });
    this.metrics.taskWaitingTime.observe(
      { form_key: task.formKey ?? 'none' },
      (this.clock.now().getTime() - task.createdAt.getTime()) / 1000,
    );
    return completed;
  }

  /**
   * Complete a task without the inbox's checks (candidate group, assignee, form, segregation of duties): for
   * an operator's or a system's completion. The data is still checked as process variables (shape, size,
   * read-only names), and exactly one of two concurrent completions succeeds.
   */
  async completeUnchecked(taskId: string, data: unknown, actor: string | null): Promise<UserTaskEntity> {
    return this.completeUnderLock(await this.find(taskId), data, actor, { byAssigneeOnly: false });
  }

  /** Close the task row and continue its instance, under the instance's lock and then the task's. */
  private async completeUnderLock(
    task: UserTaskEntity,
    data: unknown,
    actor: string | null,
    options: { byAssigneeOnly: boolean },
  ): Promise<UserTaskEntity> {
    const variables = assertVariables(data, this.config.variablesMaxBytes, 'data');
    return this.instances.withInstanceLock(task.instanceId, async (manager, instance) => {
      // Closed before the instance moves on: the wait it leaves is completed, not withdrawn.
      const current = await this.taskRows.complete(manager, task.id, {
        output: variables,
        completedBy: actor,
        completedAt: this.clock.now(),
        byAssigneeOnly: options.byAssigneeOnly,
      });
      if (!current) throw await this.notCompleted(manager, task.id);
      await this.instances.completeTask(
        manager,
        instance,
        {
          taskId: current.id,
          elementId: current.elementId,
          executionId: current.executionId,
          name: current.name,
          formKey: current.formKey,
        },
        variables,
        actor,
      );
      return current;
    });
  }

  /** Why a task under its instance's lock was not completed: gone, no longer open, or someone else's. */
  private async notCompleted(manager: EntityManager, taskId: string): Promise<Error> {
    const current = await this.taskRows.lock(manager, taskId);
    if (!current) return new NotFoundError(`task ${taskId} does not exist`);
    if (current.status !== 'open') return new ConflictError(`task ${taskId} is already ${current.status}`);
    return new ForbiddenError(`the task is assigned to ${current.assignee ?? 'nobody'}`);
  }

  private async find(taskId: string): Promise<UserTaskEntity> {
    const task = await this.taskRows.find(taskId);
    if (!task) throw new NotFoundError(`task ${taskId} does not exist`);
    return task;
  }

  /** Change the assignee of an open task if `allowed` still holds under the row lock. */
  private async setAssignee(
    task: UserTaskEntity,
    assignee: string | null,
    event: string,
    actor: string,
    allowed: (current: UserTaskEntity) => boolean,
  ): Promise<UserTaskEntity> {
    // The instance row first, as every change to an instance takes it: one lock order, no deadlock.
    return this.instances.withInstanceLock(task.instanceId, async (manager) => {
      const current = await this.taskRows.lock(manager, task.id);
      if (!current) throw new NotFoundError(`task ${task.id} does not exist`);
      if (current.status !== 'open') throw new ConflictError(`task ${task.id} is already ${current.status}`);
      if (!allowed(current)) throw new ConflictError(`task ${task.id} is claimed by ${current.assignee}`);
      if (current.assignee === assignee) return current;
      current.assignee = assignee;
      current.claimedAt = assignee ? this.clock.now() : null;
      await this.taskRows.setAssignee(manager, current);
      await this.instances.recordHistory(manager, current.instanceId, [
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
