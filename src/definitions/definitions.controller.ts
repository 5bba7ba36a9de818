import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { DefinitionService } from './definition.service.js';
import { ApiErrors } from '../http/api-errors.js';

@ApiTags('process-definitions')
@ApiBearerAuth()
@Controller('api/process-definitions')
export class ProcessDefinitionsController {
  constructor(@Inject(DefinitionService) private readonly definitions: DefinitionService) {}

  /** The latest version of each process. */
  @ApiErrors()
  @Get()
  async list() {
    return this.definitions.list();
  }
}
