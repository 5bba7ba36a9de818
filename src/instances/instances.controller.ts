import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthUser } from '../identity/auth.decorators.js';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageQueryDto } from '../platform/http/page-query.dto.js';
import { InstanceQueryService } from './instance-query.service.js';
import { InstanceService } from './instance.service.js';
import { ApiErrors } from '../platform/http/api-errors.js';
import {
  CancelProcessInstanceDto,
  ProcessInstanceQueryDto,
  StartProcessInstanceDto,
  UpdateVariablesDto,
} from './process-instance.dto.js';
import { ProcessInstanceService } from './process-instance.service.js';

/** `GET /api/incidents`: a page of incidents, newest first, of one state or all. */
class IncidentQueryDto extends PageQueryDto {
  @ApiPropertyOptional({
    enum: ['open', 'resolved'],
    description: 'only incidents in this state (all when absent)',
  })
  @IsOptional()
  @IsIn(['open', 'resolved'])
  state?: 'open' | 'resolved';
}

class ResolveIncidentDto {
  @ApiProperty({ description: 'what was done instead of the job, or why it is waived' })
  @IsString()
  @Length(1, 2000)
  comment!: string;
}

@ApiTags('process-instances')
@ApiBearerAuth()
@Controller('api/process-instances')
export class ProcessInstancesController {
  constructor(
    @Inject(InstanceQueryService) private readonly query: InstanceQueryService,
    @Inject(ProcessInstanceService) private readonly processInstances: ProcessInstanceService,
  ) {}

  /**
   * Start a deployed process by id (latest version, or `version`). Administrators and process designers may start
   * any; others one whose `starterGroups` property names their role. Release flows start by filing a release.
   */
  @ApiErrors(400, 403, 404, 413, 422)
  @Post()
  @HttpCode(201)
  async start(@CurrentUser() user: AuthUser, @Body() body: StartProcessInstanceDto) {
    return this.processInstances.start(user, body);
  }

  @ApiErrors(400)
  @Get()
  async list(@Query() filter: ProcessInstanceQueryDto) {
    return this.processInstances.search(filter);
  }

  @ApiErrors(400, 404)
  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.query.view(id);
  }

  @ApiErrors(400, 403, 404, 409)
  @Post(':id/cancel')
  @HttpCode(200)
  @Roles('admin', 'process-designer')
  async cancel(
    @CurrentUser() user: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: CancelProcessInstanceDto,
  ) {
    return this.processInstances.cancel(user, id, body.reason);
  }

  @ApiErrors(400, 403, 404)
  @Get(':id/variables')
  @Roles('admin', 'process-designer')
  async variables(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.processInstances.variables(id);
  }

  /** Merge top-level variables into a running instance; the next step routes on them. */
  @ApiErrors(400, 403, 404, 409, 413)
  @Patch(':id/variables')
  @HttpCode(200)
  @Roles('admin', 'process-designer')
  async updateVariables(
    @CurrentUser() user: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: UpdateVariablesDto,
  ) {
    return this.processInstances.updateVariables(user, id, body.variables);
  }
}

@ApiTags('incidents')
@ApiBearerAuth()
@Controller('api/incidents')
export class IncidentsController {
  constructor(
    @Inject(InstanceQueryService) private readonly query: InstanceQueryService,
    @Inject(InstanceService) private readonly instances: InstanceService,
  ) {}

  @ApiErrors(400, 403)
  @Get()
  @Roles('admin', 'project-manager')
  async list(@Query() filter: IncidentQueryDto) {
    return this.query.incidentList(filter.state, filter);
  }

  @ApiErrors(400, 403, 404, 409)
  @Post(':id/retry')
  @HttpCode(200)
  @Roles('admin')
  async retry(@CurrentUser() user: AuthUser, @Param('id', new ParseUUIDPipe()) id: string) {
    return this.instances.retryIncident(id, user.username);
  }

  /** The job's work was done by hand: mark it done and let the instance go on. */
  @ApiErrors(400, 403, 404, 409)
  @Post(':id/resolve')
  @HttpCode(200)
  @Roles('admin')
  async resolve(
    @CurrentUser() user: AuthUser,
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() body: ResolveIncidentDto,
  ) {
    return this.instances.resolveIncident(id, body.comment, user.username);
  }
}
