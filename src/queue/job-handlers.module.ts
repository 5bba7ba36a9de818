import { Global, Inject, Module, type DynamicModule, type OnModuleInit } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService } from '@nestjs/core';
import { JobHandlerFor } from './job-handler.decorators.js';
import { JobHandlerRegistry, type JobHandler } from './job-handler.port.js';

@Global()
@Module({})
export class JobHandlersModule implements OnModuleInit {
  constructor(@Inject(JobHandlerRegistry) private readonly registry: JobHandlerRegistry) {}

  /**
   * The handlers are the providers marked `@JobHandlerFor()` wherever a feature provides them (with the options
   * of their mark), and `extra` beside them (an embedding application's own, or a test's; their `effects` says how
   * they run).
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
              ...discovery.getProviders({ metadataKey: JobHandlerFor.KEY }).map((wrapper) => ({
                handler: wrapper.instance as JobHandler,
                effects: discovery.getMetadataByDecorator(JobHandlerFor, wrapper)?.effects,
              })),
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
