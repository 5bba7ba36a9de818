import { Global, Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { JobHandlerFor } from './job-handler.decorators.js';
import { JobHandlerRegistry, type JobHandler } from './job-handler.port.js';

@Global()
@Module({})
export class JobHandlersModule implements OnModuleInit {
  constructor(@Inject(JobHandlerRegistry) private readonly registry: JobHandlerRegistry) {}

  /**
   * The handlers are the providers marked `@JobHandlerFor()` wherever a feature provides them, and `extra` beside
   * them (an embedding application's own, or a test's).
   */
  static forRoot(extra: readonly JobHandler[] = []): DynamicModule {
    return {
      module: JobHandlersModule,
      imports: [DiscoveryModule],
      providers: [
        {
          provide: JobHandlerRegistry,
          inject: [DiscoveryService],
          useFactory: (discovery: DiscoveryService) =>
            new JobHandlerRegistry(() => [
              ...discovery
                .getProviders({ metadataKey: JobHandlerFor.KEY })
                .map((wrapper) => wrapper.instance as JobHandler),
              ...extra,
            ]),
        },
      ],
      exports: [JobHandlerRegistry],
    };
  }

  /** Every provider exists by now: check the handlers at boot rather than at the first job. */
  onModuleInit(): void {
    this.registry.check();
  }
}
