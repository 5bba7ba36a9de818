import { Module } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { DefinitionsModule } from '../definitions/definitions.module.js';
import { ExternalJobsApiModule } from '../external-jobs/external-jobs-api.module.js';
import { InstancesModule } from '../instances/instances.module.js';
import { MessagesModule } from '../messages/messages.module.js';
import { ERROR_FORMAT } from '../platform/http/error.filter.js';
import { SignalsModule } from '../signals/signals.module.js';
import { TasksModule } from '../tasks/tasks.module.js';
import { CamundaApiController, CamundaApiUnsupportedController } from './camunda-api.controller.js';
import { CamundaApiService } from './camunda-api.service.js';
import { CamundaKeyRepository } from './camunda-key.repository.js';

/**
 * Errors under /v2 leave as problem details, as Camunda's gateway sends them: mounted on /v2 before the body
 * parsers (configureApp), so a body that is not JSON, a 401 and an unknown path get them too.
 */
export function problemDetails(_request: Request, response: Response, next: NextFunction): void {
  response.locals[ERROR_FORMAT] = 'problem';
  next();
}

/**
 * The Camunda 8 REST API under /v2: an adapter over the services of definitions, instances, tasks, external jobs,
 * messages and signals (the API process only). The catch-all controller comes last, so it answers only the paths
 * no endpoint took.
 */
@Module({
  imports: [
    DefinitionsModule,
    InstancesModule,
    TasksModule,
    ExternalJobsApiModule,
    MessagesModule,
    SignalsModule,
  ],
  controllers: [CamundaApiController, CamundaApiUnsupportedController],
  providers: [CamundaApiService, CamundaKeyRepository],
})
export class CamundaApiModule {}
