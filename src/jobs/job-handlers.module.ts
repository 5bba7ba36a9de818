import { Global, Module, type DynamicModule } from '@nestjs/common';
import { JobHandlerRegistry, type JobHandler } from './job-handler.js';
import { RecordingJobHandler, RELEASE_JOB_TYPES } from './handlers/recording.handler.js';

/** Every job type the workers can carry out. Add a handler here to add a service-task type. */
export function releaseJobHandlers(): JobHandler[] {
  return RELEASE_JOB_TYPES.map((type) => new RecordingJobHandler(type));
}

@Global()
@Module({})
export class JobHandlersModule {
  /** `extra` adds handlers beside the release ones (an embedding application's own, or a test's). */
  static forRoot(extra: readonly JobHandler[] = []): DynamicModule {
    return {
      module: JobHandlersModule,
      providers: [
        {
          provide: JobHandlerRegistry,
          useFactory: () => new JobHandlerRegistry([...releaseJobHandlers(), ...extra]),
        },
      ],
      exports: [JobHandlerRegistry],
    };
  }
}
