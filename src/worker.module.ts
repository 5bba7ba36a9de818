import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from './config/app-config.js';
import { DEFINITION_ENTITIES, DefinitionsModule } from './definitions/definitions.module.js';
import { FormsModule } from './definitions/forms.module.js';
import { IDENTITY_ENTITIES, IdentityModule } from './identity/identity.module.js';
import { INSTANCE_ENTITIES, InstancesModule } from './instances/instances.module.js';
import type { Clock } from './platform/clock.js';
import { loggingModule } from './platform/logging.js';
import { MetricsModule } from './platform/metrics.js';
import { PlatformModule } from './platform/platform.module.js';
import type { JobHandler } from './queue/job-handler.port.js';
import { JobHandlersModule } from './queue/job-handlers.module.js';
import { QUEUE_ENTITIES, QueueModule } from './queue/queue.module.js';
import { WorkersModule } from './queue/workers.module.js';
import { CmdbModule } from './releases/cmdb/cmdb.module.js';
import { NotifyModule } from './releases/notify/notify.module.js';
import { PslModule } from './releases/psl/psl.module.js';
import { RELEASE_ENTITIES, ReleasesModule } from './releases/releases.module.js';
import { ReportsModule } from './releases/reports/reports.module.js';
import { ServiceTaskHandlersModule } from './releases/service-tasks.module.js';
import { TASK_ENTITIES, TasksModule } from './tasks/tasks.module.js';
import { MessagesModule } from './messages/messages.module.js';
import { SignalsModule } from './signals/signals.module.js';

/** Every module's tables: the one place that knows them all. */
export const ENTITIES = [
  ...DEFINITION_ENTITIES,
  ...INSTANCE_ENTITIES,
  ...QUEUE_ENTITIES,
  ...TASK_ENTITIES,
  ...IDENTITY_ENTITIES,
  ...RELEASE_ENTITIES,
];

export interface WorkerOptions {
  /** Service-task handlers beside the release procedure's own (an embedding application's, or a test's). */
  readonly jobHandlers?: readonly JobHandler[];
  /** Times the durable timers; the system clock unless a test moves one by hand. */
  readonly clock?: Clock;
}

/**
 * What runs jobs: platform, queue, the durable core, the inbox (a job may open a user task), users (notify
 * resolves recipients) and the release application's services with its service-task handlers. No controller,
 * no Swagger, no pages, no queue board: `worker.ts` runs it alone, and the API's AppModule builds on it.
 */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig, { jobHandlers = [], clock }: WorkerOptions = {}): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        loggingModule(config),
        PlatformModule.forRoot(config, { entities: ENTITIES, clock }),
        QueueModule,
        MetricsModule,
        JobHandlersModule.forRoot(jobHandlers),
        IdentityModule,
        FormsModule,
        DefinitionsModule,
        InstancesModule,
        TasksModule,
        MessagesModule,
        SignalsModule,
        ReleasesModule,
        WorkersModule.forRoot(InstancesModule),
        NotifyModule,
        CmdbModule,
        PslModule,
        ReportsModule,
        ServiceTaskHandlersModule,
      ],
    };
  }
}
