import {
  All,
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Inject,
  Param,
  Patch,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { readUploadedFiles } from '../definitions/index.js';
import { DefinitionService } from '../definitions/definition.service.js';
import { BasicAuthAccepted, CurrentUser, Roles, type AuthUser } from '../identity/auth.decorators.js';
import { InvalidInputError, NotImplementedError } from '../platform/errors.js';
import { CamundaApiService } from './camunda-api.service.js';
import * as schemas from './camunda-api.schemas.js';
import { parseBody } from './camunda-api.schemas.js';

/** At most this many resources in one deployment. */
const MAX_RESOURCES = 50;

/** A key in a path: an int64 as a decimal string (400 otherwise). */
function keyParam(value: string, name: string): string {
  if (!/^[0-9]{1,19}$/.test(value)) {
    throw new InvalidInputError(
      `${name} must be an int64 key (a decimal string), not "${value.slice(0, 40)}"`,
      [{ field: name, message: 'must be an int64 key' }],
    );
  }
  return value;
}

/**
 * The Camunda 8 REST API (Orchestration Cluster API 8.8) under /v2, for Camunda's own clients and Modeler: HTTP
 * Basic or a bearer token, the native API's roles, problem-detail errors. Camunda's specification documents these
 * endpoints; the OpenAPI of this service leaves them out (README: "Camunda 8 REST API").
 */
@ApiExcludeController()
@BasicAuthAccepted()
@Controller('v2')
export class CamundaApiController {
  constructor(
    @Inject(CamundaApiService) private readonly camunda: CamundaApiService,
    @Inject(DefinitionService) private readonly definitions: DefinitionService,
  ) {}

  @Get('topology')
  topology(@Req() request: Request) {
    const [host, port] = (request.headers.host ?? 'localhost').split(':');
    return this.camunda.topology(
      host ?? 'localhost',
      Number(port ?? (request.protocol === 'https' ? 443 : 80)),
    );
  }

  @Get('authentication/me')
  me(@CurrentUser() user: AuthUser) {
    return this.camunda.me(user);
  }

  @Post('deployments')
  @HttpCode(200)
  @Roles('process-designer', 'admin')
  async deploy(@CurrentUser() user: AuthUser, @Req() request: Request) {
    const files = await readUploadedFiles(request, {
      maxBytes: this.definitions.maxBpmnBytes,
      maxFiles: MAX_RESOURCES,
    });
    return this.camunda.deploy(user, files);
  }

  @Post('process-definitions/search')
  @HttpCode(200)
  searchProcessDefinitions(@Body() body: unknown) {
    return this.camunda.searchProcessDefinitions(parseBody(schemas.processDefinitionSearch, body));
  }

  @Get('process-definitions/:key/xml')
  @Header('content-type', 'text/xml; charset=utf-8')
  processDefinitionXml(@Param('key') key: string) {
    return this.camunda.processDefinitionXml(keyParam(key, 'processDefinitionKey'));
  }

  @Post('process-instances')
  @HttpCode(200)
  createProcessInstance(@CurrentUser() user: AuthUser, @Body() body: unknown) {
    return this.camunda.createProcessInstance(user, parseBody(schemas.createProcessInstance, body));
  }

  @Post('process-instances/search')
  @HttpCode(200)
  searchProcessInstances(@Body() body: unknown) {
    return this.camunda.searchProcessInstances(parseBody(schemas.processInstanceSearch, body));
  }

  @Get('process-instances/:key')
  getProcessInstance(@Param('key') key: string) {
    return this.camunda.getProcessInstance(keyParam(key, 'processInstanceKey'));
  }

  @Post('process-instances/:key/cancellation')
  @HttpCode(204)
  @Roles('admin', 'process-designer')
  async cancelProcessInstance(
    @CurrentUser() user: AuthUser,
    @Param('key') key: string,
    @Body() body: unknown,
  ) {
    parseBody(schemas.cancelProcessInstance, body);
    await this.camunda.cancelProcessInstance(user, keyParam(key, 'processInstanceKey'));
  }

  @Post('user-tasks/search')
  @HttpCode(200)
  searchUserTasks(@CurrentUser() user: AuthUser, @Body() body: unknown) {
    return this.camunda.searchUserTasks(user, parseBody(schemas.userTaskSearch, body));
  }

  @Get('user-tasks/:key')
  getUserTask(@CurrentUser() user: AuthUser, @Param('key') key: string) {
    return this.camunda.getUserTask(user, keyParam(key, 'userTaskKey'));
  }

  /** The task's form; 204 when it has none. */
  @Get('user-tasks/:key/form')
  async userTaskForm(
    @CurrentUser() user: AuthUser,
    @Param('key') key: string,
    @Res({ passthrough: true }) response: Response,
  ) {
    const form = await this.camunda.userTaskForm(user, keyParam(key, 'userTaskKey'));
    if (!form) response.status(204);
    return form;
  }

  @Post('user-tasks/:key/assignment')
  @HttpCode(204)
  async assignUserTask(@CurrentUser() user: AuthUser, @Param('key') key: string, @Body() body: unknown) {
    await this.camunda.assignUserTask(
      user,
      keyParam(key, 'userTaskKey'),
      parseBody(schemas.assignUserTask, body),
    );
  }

  @Delete('user-tasks/:key/assignee')
  @HttpCode(204)
  async unassignUserTask(@CurrentUser() user: AuthUser, @Param('key') key: string, @Body() body: unknown) {
    parseBody(schemas.userTaskChange, body);
    await this.camunda.unassignUserTask(user, keyParam(key, 'userTaskKey'));
  }

  @Post('user-tasks/:key/completion')
  @HttpCode(204)
  async completeUserTask(@CurrentUser() user: AuthUser, @Param('key') key: string, @Body() body: unknown) {
    await this.camunda.completeUserTask(
      user,
      keyParam(key, 'userTaskKey'),
      parseBody(schemas.completeUserTask, body),
    );
  }

  @Post('jobs/activation')
  @HttpCode(200)
  @Roles('admin', 'process-designer')
  activateJobs(@Body() body: unknown) {
    return this.camunda.activateJobs(parseBody(schemas.activateJobs, body));
  }

  @Post('jobs/:key/completion')
  @HttpCode(204)
  @Roles('admin', 'process-designer')
  async completeJob(@Param('key') key: string, @Body() body: unknown) {
    await this.camunda.completeJob(keyParam(key, 'jobKey'), parseBody(schemas.completeJob, body));
  }

  @Post('jobs/:key/failure')
  @HttpCode(204)
  @Roles('admin', 'process-designer')
  async failJob(@Param('key') key: string, @Body() body: unknown) {
    await this.camunda.failJob(keyParam(key, 'jobKey'), parseBody(schemas.failJob, body));
  }

  @Post('jobs/:key/error')
  @HttpCode(204)
  @Roles('admin', 'process-designer')
  async throwJobError(@Param('key') key: string, @Body() body: unknown) {
    await this.camunda.throwJobError(keyParam(key, 'jobKey'), parseBody(schemas.throwJobError, body));
  }

  @Patch('jobs/:key')
  @HttpCode(204)
  @Roles('admin', 'process-designer')
  async updateJob(@Param('key') key: string, @Body() body: unknown) {
    await this.camunda.updateJob(keyParam(key, 'jobKey'), parseBody(schemas.updateJob, body));
  }

  @Post('messages/publication')
  @HttpCode(200)
  @Roles('admin', 'process-designer', 'project-manager')
  publishMessage(@Body() body: unknown) {
    return this.camunda.publishMessage(parseBody(schemas.publishMessage, body));
  }

  @Post('messages/correlation')
  @HttpCode(200)
  @Roles('admin', 'process-designer', 'project-manager')
  correlateMessage(@Body() body: unknown) {
    return this.camunda.correlateMessage(parseBody(schemas.correlateMessage, body));
  }

  @Post('signals/broadcast')
  @HttpCode(200)
  @Roles('admin', 'process-designer', 'project-manager')
  broadcastSignal(@Body() body: unknown) {
    return this.camunda.broadcastSignal(parseBody(schemas.broadcastSignal, body));
  }

  @Post('incidents/search')
  @HttpCode(200)
  @Roles('admin', 'project-manager')
  searchIncidents(@Body() body: unknown) {
    return this.camunda.searchIncidents(parseBody(schemas.incidentSearch, body));
  }

  @Post('incidents/:key/resolution')
  @HttpCode(204)
  @Roles('admin')
  async resolveIncident(@CurrentUser() user: AuthUser, @Param('key') key: string, @Body() body: unknown) {
    parseBody(schemas.resolveIncident, body);
    await this.camunda.resolveIncident(user, keyParam(key, 'incidentKey'));
  }

  @Post('variables/search')
  @HttpCode(200)
  @Roles('admin', 'process-designer')
  searchVariables(@Body() body: unknown) {
    return this.camunda.searchVariables(parseBody(schemas.variableSearch, body));
  }

  @Post('decision-definitions/evaluation')
  @HttpCode(200)
  @Roles('admin', 'process-designer')
  evaluateDecision(@Body() body: unknown) {
    return this.camunda.evaluateDecision(parseBody(schemas.evaluateDecision, body));
  }
}

/** Every other path under /v2: Camunda's API has it, this service does not (501, after the caller is known). */
@ApiExcludeController()
@BasicAuthAccepted()
@Controller('v2')
export class CamundaApiUnsupportedController {
  @All('*path')
  unsupported(@Req() request: Request): never {
    throw new NotImplementedError(
      `${request.method} ${request.path} is not supported by this service's Camunda 8 REST API (see its README for the endpoints it offers)`,
    );
  }
}
