import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type {
  FiredTimer,
  InstanceListener,
  OpenTaskReader,
  WaitChange,
} from '../instances/instance.events.js';
import { CLOCK, type Clock } from '../platform/clock.js';
import { InstanceQueryService } from '../instances/instance-query.service.js';
import { InstanceService } from '../instances/instance.service.js';
import { TaskExtensions } from './task-extensions.service.js';
import { ESCALATED_PRIORITY, taskDueAt, taskPriority } from './task-schedule.js';
import { FormService } from '../definitions/form.service.js';
import { EMBEDDED_FORM_PREFIX } from '../definitions/index.js';
import { TaskRepository, type NewUserTask } from './task.repository.js';
import type { UserTaskEntity } from './user-task.entity.js';

/**
 * The inbox follows the instances' user-task waits: a wait opened becomes an open task (due date and
 * priority from the model), a wait gone without completion withdraws its task. The only writer of new
 * task rows, inside the instance's transaction.
 *
 * Escalation: when a timer on the boundary of a user task fires and the task stays open (a non-interrupting
 * timer: nobody decided in time), the task is escalated: offered to the configured escalation group
 * (ESCALATION_GROUP) besides its own, raised to the highest priority, marked escalated, recorded in the
 * history (`task.escalated`), and the feature owning its case is told (the release shows it too).
 */
@Injectable()
export class TaskInboxListener implements InstanceListener, OpenTaskReader, OnModuleInit {
  constructor(
    @Inject(TaskRepository) private readonly tasks: TaskRepository,
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(InstanceQueryService) private readonly instanceQueries: InstanceQueryService,
    @Inject(TaskExtensions) private readonly extensions: TaskExtensions,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(FormService) private readonly forms: FormService,
  ) {}

  onModuleInit(): void {
    this.instances.addListener(this);
    this.instanceQueries.addTaskReader(this);
  }

  async openWaits(manager: EntityManager, instanceId: string): Promise<readonly string[]> {
    return this.tasks.openExecutionIds(manager, instanceId);
  }

  async onWaitsChanged(manager: EntityManager, change: WaitChange): Promise<void> {
    const { instance } = change;
    const now = this.clock.now();
    await this.tasks.close(manager, instance.id, change.closed.executionIds, change.closed.status, now);
    // A task links the latest version of its form at its creation (Camunda's binding "latest"), looked up by the
    // insert itself: the deploy a start or completion follows is always seen, and no form row is read here.
    await this.tasks.insert(
      manager,
      change.opened.map(({ element, elementId, executionId }): NewUserTask => ({
        instanceId: instance.id,
        processKey: instance.processKey,
        businessKey: instance.businessKey,
        elementId,
        executionId,
        name: element?.name ?? null,
        candidateGroups: [...(element?.candidateGroups ?? [])],
        formKey: element?.formKey ?? null,
        formVersion: element?.formKey && !element.formKey.startsWith(EMBEDDED_FORM_PREFIX) ? 'latest' : null,
        assignee: null,
        claimedAt: null,
        status: 'open',
        priority: taskPriority(element, instance.processKey),
        dueAt: taskDueAt(element, instance.processKey, change.variables, now),
        output: null,
        completedBy: null,
        completedAt: null,
        escalatedAt: null,
        escalatedTo: null,
        createdAt: now,
      })),
      this.forms.latestVersionSql,
    );
    for (const timer of change.firedTimers ?? []) {
      if (timer.attachedTo) await this.escalate(manager, instance.id, timer);
    }
  }

  /** Escalate the open tasks of the activity a fired boundary timer is attached to. */
  private async escalate(manager: EntityManager, instanceId: string, timer: FiredTimer): Promise<void> {
    const group = this.config.escalationGroup;
    for (const task of await this.tasks.openOfElement(manager, instanceId, timer.attachedTo!)) {
      const previousPriority = task.priority;
      task.candidateGroups = task.candidateGroups.includes(group)
        ? task.candidateGroups
        : [...task.candidateGroups, group];
      task.priority = Math.max(task.priority, ESCALATED_PRIORITY);
      task.escalatedAt = this.clock.now();
      task.escalatedTo = group;
      await this.tasks.markEscalated(manager, task);
      await this.instances.recordHistory(manager, instanceId, [
        {
          type: 'task.escalated',
          elementId: task.elementId,
          elementName: task.name,
          executionId: task.executionId,
          data: {
            taskId: task.id,
            escalatedTo: group,
            timer: timer.elementId,
            priority: task.priority,
            previousPriority,
            assignee: task.assignee,
          },
        },
      ]);
      await this.extensions.escalated(manager, task);
    }
  }

  async openTasksOf(instanceId: string): Promise<UserTaskEntity[]> {
    return this.tasks.openOf(instanceId);
  }
}
