import { Module } from '@nestjs/common';
import { TasksModule } from './tasks.module.js';
import { TasksController } from './tasks.controller.js';

/** The inbox's HTTP surface (the API process only; workers import TasksModule alone). */
@Module({
  imports: [TasksModule],
  controllers: [TasksController],
})
export class TasksApiModule {}
