import { Module, type DynamicModule } from '@nestjs/common';
import type { AppConfig } from './config/app-config.js';
import { AuthModule } from './auth/auth.module.js';
import { CoreModule } from './core.module.js';
import { DefinitionsModule } from './definitions/definitions.module.js';
import { FormsModule } from './forms/forms.module.js';
import { HealthController } from './health/health.controller.js';
import { InstancesModule } from './instances/instances.module.js';
import type { JobHandler } from './jobs/job-handler.js';
import { JobHandlersModule } from './jobs/job-handlers.module.js';
import { WorkersModule } from './jobs/workers.module.js';
import { ReleasesModule } from './releases/releases.module.js';
import { TasksModule } from './tasks/tasks.module.js';

@Module({})
export class AppModule {
  /** `jobHandlers` adds service-task handlers beside the release procedure's own. */
  static forRoot(config: AppConfig, jobHandlers: readonly JobHandler[] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(config),
        JobHandlersModule.forRoot(jobHandlers),
        AuthModule,
        FormsModule,
        DefinitionsModule,
        InstancesModule,
        ReleasesModule,
        TasksModule,
        WorkersModule,
      ],
      controllers: [HealthController],
    };
  }
}
