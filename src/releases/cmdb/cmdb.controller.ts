import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '../../identity/auth.decorators.js';
import { ApiErrors } from '../../platform/http/api-errors.js';
import { CmdbItemQueryDto, UpsertCmdbItemDto } from './cmdb.dto.js';
import { CmdbService } from './cmdb.service.js';

/** The built-in CMDB: any signed-in user reads it; network engineers and administrators keep it. */
@ApiTags('cmdb')
@ApiBearerAuth()
@Controller('api/cmdb/items')
export class CmdbController {
  constructor(@Inject(CmdbService) private readonly cmdb: CmdbService) {}

  /** List and search configuration items. */
  @ApiErrors(400)
  @Get()
  async list(@Query() query: CmdbItemQueryDto) {
    return this.cmdb.search(query);
  }

  /** One item (by id or name) with its version history, the releases that touched it and its relations. */
  @ApiErrors(404)
  @Get(':idOrName')
  async get(@Param('idOrName') idOrName: string) {
    return this.cmdb.detail(idOrName);
  }

  /** Create or update an item by name: type, owner, attributes, relations. */
  @ApiErrors(400, 403)
  @Post()
  @HttpCode(200)
  @Roles('network-engineer', 'admin')
  async upsert(@Body() body: UpsertCmdbItemDto) {
    return this.cmdb.upsert(body);
  }
}
