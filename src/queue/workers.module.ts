import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { JobWorkerService } from './job-worker.service.js';

@Module({
  imports: [InstancesModule],
  providers: [JobWorkerService],
})
export class WorkersModule {}
