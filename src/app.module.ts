import { Module, type DynamicModule } from '@nestjs/common';
import type { Clock } from './platform/clock.js';
import type { AppConfig } from './config/app-config.js';
import { AuthModule, IDENTITY_ENTITIES } from './identity/auth.module.js';
import { DEFINITION_ENTITIES, DefinitionsModule } from './definitions/definitions.module.js';
import { FormsModule } from './definitions/forms.module.js';
import { INSTANCE_ENTITIES, InstancesModule } from './instances/instances.module.js';
import { loggingModule } from './platform/logging.js';
import { MetricsModule } from './platform/metrics.js';
import { MonitoringModule } from './monitoring/monitoring.module.js';
import type { JobHandler } from './queue/job-handler.port.js';
import { JobHandlersModule } from './queue/job-handlers.module.js';
import { QUEUE_ENTITIES, QueueModule } from './queue/queue.module.js';
import { WorkersModule } from './queue/workers.module.js';
import { PlatformModule } from './platform/platform.module.js';
import { RELEASE_ENTITIES, ReleasesModule } from './releases/releases.module.js';
import { TASK_ENTITIES, TasksModule } from './tasks/tasks.module.js';
import { WebModule } from './web/web.module.js';
import { CmdbModule } from './releases/cmdb/cmdb.module.js';
import { NotifyModule } from './releases/notify/notify.module.js';
import { PslModule } from './releases/psl/psl.module.js';
import { ReportsModule } from './releases/reports/reports.module.js';
import { ServiceTaskHandlersModule } from './releases/service-tasks.module.js';

/** Every module's tables: the one place that knows them all. */
const ENTITIES = [
  ...DEFINITION_ENTITIES,
  ...INSTANCE_ENTITIES,
  ...QUEUE_ENTITIES,
  ...TASK_ENTITIES,
  ...IDENTITY_ENTITIES,
  ...RELEASE_ENTITIES,
];

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
        loggingModule(config),
        PlatformModule.forRoot(config, { entities: ENTITIES, clock }),
        QueueModule,
        MetricsModule,
        JobHandlersModule.forRoot(jobHandlers),
        AuthModule,
        FormsModule,
        MonitoringModule,
        DefinitionsModule,
        InstancesModule,
        ReleasesModule,
        TasksModule,
        WorkersModule.forRoot(InstancesModule),
        WebModule,
        NotifyModule,
        CmdbModule,
        PslModule,
        ReportsModule,
        ServiceTaskHandlersModule,
      ],
    };
  }
}
