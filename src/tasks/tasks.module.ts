import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { DefinitionsModule } from '../definitions/definitions.module.js';
import { TaskExtensions } from './task-extensions.service.js';
import { TaskInboxListener } from './task-inbox.listener.js';
import { TaskMetrics } from './task.metrics.js';
import { TaskRepository } from './task.repository.js';
import { TaskService } from './task.service.js';
import { UserTaskEntity } from './user-task.entity.js';

/** The inbox without HTTP: the controller is TasksApiModule's. */
@Module({
  imports: [InstancesModule, DefinitionsModule],
  providers: [TaskService, TaskRepository, TaskMetrics, TaskExtensions, TaskInboxListener],
  exports: [TaskService, TaskExtensions],
})
export class TasksModule {}

/** The inbox's table, registered with the data source by the composition root. */
export const TASK_ENTITIES = [UserTaskEntity];
