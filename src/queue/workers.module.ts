import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { JobEffectRepository } from './job-effect.repository.js';
import { JobEffects } from './job-effects.service.js';
import { JobRunner } from './job-runner.service.js';
import { JobWorkerService } from './job-worker.service.js';
import { QueueMetrics } from './queue.metrics.js';

@Module({})
export class WorkersModule {
  /**
   * `outcomes`: the module that provides JOB_OUTCOMES (the instances), chosen by the composition root so that the
   * queue imports no feature of its own.
   */
  static forRoot(outcomes: Type<unknown>): DynamicModule {
    return {
      module: WorkersModule,
      imports: [outcomes],
      providers: [JobEffectRepository, JobEffects, JobRunner, JobWorkerService, QueueMetrics],
      exports: [JobRunner],
    };
  }
}
