import { Body, Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthUser } from '../identity/auth.decorators.js';
import { AssignTaskDto, CompleteTaskDto, TaskQueryDto } from './task.dto.js';
import { TaskService } from './task.service.js';
import { ApiErrors } from '../platform/http/api-errors.js';

@ApiTags('tasks')
@ApiBearerAuth()
@Controller('api/tasks')
export class TasksController {
  constructor(@Inject(TaskService) private readonly tasks: TaskService) {}

  @ApiErrors(400)
  @ApiOkResponse({
    description:
      'One page of tasks: `{items, total, totalCapped, page, pageSize}`. `total` counts the matching tasks exactly up ' +
      'to TASK_LIST_TOTAL_CAP (1,000); past it `total` is the cap and `totalCapped` is true. Each item carries its ' +
      '`release` (id, number, title, class, status) and the `overdue` and `escalated` marks.',
  })
  @Get()
  async list(@CurrentUser() user: AuthUser, @Query() query: TaskQueryDto) {
    return this.tasks.list(user, query);
  }

  @ApiErrors(400, 403, 404)
  @Get(':id')
  async get(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.tasks.get(user, id);
  }

  /** The task's form: the form-js schema of the version the task was created with. */
  @ApiErrors(400, 403, 404)
  @Get(':id/form')
  async form(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.tasks.form(user, id);
  }

  @ApiErrors(400, 403, 404, 409)
  @Post(':id/claim')
  @HttpCode(200)
  async claim(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.tasks.claim(user, id);
  }

  @ApiErrors(400, 403, 404, 409)
  @Post(':id/unclaim')
  @HttpCode(200)
  async unclaim(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.tasks.unclaim(user, id);
  }

  @ApiErrors(400, 403, 404, 409)
  @Post(':id/assign')
  @HttpCode(200)
  @Roles('project-manager', 'admin')
  async assign(
    @CurrentUser() user: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: AssignTaskDto,
  ) {
    return this.tasks.assign(user, id, body.assignee);
  }

  @ApiErrors(400, 403, 404, 409, 413, 422)
  @Post(':id/complete')
  @HttpCode(200)
  async complete(
    @CurrentUser() user: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: CompleteTaskDto,
  ) {
    return this.tasks.complete(user, id, body.data);
  }
}
