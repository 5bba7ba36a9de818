import { Module, type DynamicModule } from '@nestjs/common';
import { CamundaApiModule } from './camunda-api/camunda-api.module.js';
import type { AppConfig } from './config/app-config.js';
import { DefinitionsApiModule } from './definitions/definitions-api.module.js';
import { ExternalJobsApiModule } from './external-jobs/external-jobs-api.module.js';
import { IdentityApiModule } from './identity/identity-api.module.js';
import { InstancesApiModule } from './instances/instances-api.module.js';
import { MessagesApiModule } from './messages/messages-api.module.js';
import { MonitoringModule } from './monitoring/monitoring.module.js';
import type { Clock } from './platform/clock.js';
import type { JobHandler } from './queue/job-handler.port.js';
import { ReleasesApiModule } from './releases/releases-api.module.js';
import { SignalsApiModule } from './signals/signals-api.module.js';
import { TasksApiModule } from './tasks/tasks-api.module.js';
import { WebModule } from './web/web.module.js';
import { WorkerModule } from './worker.module.js';

/**
 * The API process: everything the workers have (they run here too unless RUN_WORKERS=false) plus the HTTP
 * surfaces, monitoring (metrics, health, queue board) and the pages.
 */
@Module({})
export class AppModule {
  /** `jobHandlers` adds service-task handlers beside the release procedure's own; `clock` times the timers. */
  static forRoot(
    config: AppConfig,
    jobHandlers: readonly JobHandler[] = [],
    { clock }: { clock?: Clock } = {},
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        WorkerModule.forRoot(config, { jobHandlers, clock }),
        IdentityApiModule,
        DefinitionsApiModule,
        InstancesApiModule,
        TasksApiModule,
        ReleasesApiModule,
        MessagesApiModule,
        SignalsApiModule,
        ExternalJobsApiModule,
        CamundaApiModule,
        MonitoringModule,
        WebModule,
      ],
    };
  }
}
