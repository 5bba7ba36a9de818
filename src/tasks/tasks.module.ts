import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { TasksController } from './tasks.controller.js';
import { TaskService } from './task.service.js';

@Module({
  imports: [InstancesModule],
  controllers: [TasksController],
  providers: [TaskService],
})
export class TasksModule {}
