import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { JobWorkerService } from './job-worker.service.js';
import { QueueMetrics } from './queue.metrics.js';

@Module({
  imports: [InstancesModule],
  providers: [JobWorkerService, QueueMetrics],
})
export class WorkersModule {}
