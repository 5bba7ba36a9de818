import { Module } from '@nestjs/common';
import { InstancesModule } from '../instances/instances.module.js';
import { ExternalJobRepository } from './external-job.repository.js';
import { ExternalJobsController } from './external-jobs.controller.js';
import { ExternalJobsService } from './external-jobs.service.js';
import { JobCreatedListener } from './job-created-listener.js';

/**
 * The external side of the queue: jobs of the types no handler of the service runs, activated and reported over
 * HTTP by workers outside it (the API process only; the service's own workers need none of it).
 */
@Module({
  imports: [InstancesModule],
  controllers: [ExternalJobsController],
  providers: [
    { provide: ExternalJobRepository, useValue: new ExternalJobRepository() },
    ExternalJobsService,
    JobCreatedListener,
  ],
  exports: [ExternalJobsService],
})
export class ExternalJobsApiModule {}
