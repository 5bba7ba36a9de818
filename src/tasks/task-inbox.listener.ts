import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { InstanceListener, OpenTaskReader, WaitChange } from '../instances/instance.events.js';
import { InstanceQueryService } from '../instances/instance-query.service.js';
import { InstanceService } from '../instances/instance.service.js';
import { taskDueAt, taskPriority } from './task-schedule.js';
import { TaskRepository } from './task.repository.js';
import type { UserTaskEntity } from './user-task.entity.js';

/**
 * The inbox follows the instances' user-task waits: a wait opened becomes an open task (due date and
 * priority from the model), a wait gone without completion withdraws its task. The only writer of new
 * task rows, inside the instance's transaction.
 */
@Injectable()
export class TaskInboxListener implements InstanceListener, OpenTaskReader, OnModuleInit {
  constructor(
    @Inject(TaskRepository) private readonly tasks: TaskRepository,
    @Inject(InstanceService) private readonly instances: InstanceService,
    @Inject(InstanceQueryService) private readonly instanceQueries: InstanceQueryService,
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
    await this.tasks.close(manager, instance.id, change.closed.executionIds, change.closed.status);
    const now = new Date();
    await this.tasks.insert(
      manager,
      change.opened.map(({ element, elementId, executionId }): Omit<UserTaskEntity, 'id' | 'createdAt'> => ({
        instanceId: instance.id,
        processKey: instance.processKey,
        businessKey: instance.businessKey,
        elementId,
        executionId,
        name: element?.name ?? null,
        candidateGroups: [...(element?.candidateGroups ?? [])],
        formKey: element?.formKey ?? null,
        assignee: null,
        claimedAt: null,
        status: 'open',
        priority: taskPriority(element, instance.processKey),
        dueAt: taskDueAt(element, instance.processKey, change.variables, now),
        output: null,
        completedBy: null,
        completedAt: null,
      })),
    );
  }

  async openTasksOf(instanceId: string): Promise<UserTaskEntity[]> {
    return this.tasks.openOf(instanceId);
  }
}
