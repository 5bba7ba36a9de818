import { Controller, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { InstanceQueryService } from './instance-query.service.js';
import { InstanceService } from './instance.service.js';

class IncidentQueryDto {
  @IsOptional()
  @IsIn(['open', 'resolved'])
  state?: 'open' | 'resolved';
}

@ApiTags('process-instances')
@Controller('api/process-instances')
export class ProcessInstancesController {
  constructor(@Inject(InstanceQueryService) private readonly query: InstanceQueryService) {}

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.query.view(id);
  }
}

@ApiTags('incidents')
@Controller('api/incidents')
export class IncidentsController {
  constructor(
    @Inject(InstanceQueryService) private readonly query: InstanceQueryService,
    @Inject(InstanceService) private readonly instances: InstanceService,
  ) {}

  @Get()
  async list(@Query() filter: IncidentQueryDto) {
    return this.query.incidents(filter.state);
  }

  @Post(':id/retry')
  @HttpCode(200)
  async retry(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.instances.retryIncident(id, null);
  }
}
