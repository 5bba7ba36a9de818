import { Global, Module, type DynamicModule } from '@nestjs/common';
import { JobHandlerRegistry, type JobHandler } from './job-handler.port.js';
import { RELEASE_JOB_HANDLERS, ServiceTaskHandlersModule } from '../releases/service-tasks.module.js';

@Global()
@Module({})
export class JobHandlersModule {
  /**
   * The release procedure's handlers (RELEASE_JOB_HANDLERS: Nest providers with their services injected) and
   * `extra` beside them (an embedding application's own, or a test's). Add a service-task type there.
   */
  static forRoot(extra: readonly JobHandler[] = []): DynamicModule {
    return {
      module: JobHandlersModule,
      imports: [ServiceTaskHandlersModule],
      providers: [
        {
          provide: JobHandlerRegistry,
          inject: [...RELEASE_JOB_HANDLERS],
          useFactory: (...handlers: JobHandler[]) => new JobHandlerRegistry([...handlers, ...extra]),
        },
      ],
      exports: [JobHandlerRegistry],
    };
  }
}
