import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { InstancesModule } from '../instances/instances.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { HealthController } from './health.controller.js';
import { AdminAuth } from './admin-auth.js';
import { QueueBoard } from './bull-board.js';
import { MetricsService } from './metrics.service.js';
import { MetricsController, QueuesController } from './monitoring.controller.js';
import { QueueMonitorService } from './queue-monitor.service.js';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false }), InstancesModule, TasksModule],
  controllers: [HealthController, MetricsController, QueuesController],
  providers: [MetricsService, QueueMonitorService, AdminAuth, QueueBoard],
  exports: [MetricsService, QueueMonitorService, AdminAuth],
})
export class MonitoringModule {}
