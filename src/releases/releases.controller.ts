import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthUser } from '../identity/auth.decorators.js';
import { InstanceQueryService } from '../instances/instance-query.service.js';
import { CancelReleaseDto, FileReleaseDto } from './release.dto.js';
import { ReleaseQueryDto, StatisticsQueryDto } from './release-query.dto.js';
import { ReleaseQueryService, statisticsCsv } from './release-query.service.js';
import { ReleaseService } from './release.service.js';
import { ApiErrors } from '../platform/http/api-errors.js';
import { PageQueryDto } from '../platform/http/page-query.dto.js';

@ApiTags('releases')
@ApiBearerAuth()
@Controller('api/releases')
export class ReleasesController {
  constructor(
    @Inject(ReleaseService) private readonly releases: ReleaseService,
    @Inject(InstanceQueryService) private readonly instances: InstanceQueryService,
    @Inject(ReleaseQueryService) private readonly query: ReleaseQueryService,
  ) {}

  @ApiErrors(400)
  @Get()
  async list(@Query() filter: ReleaseQueryDto) {
    return this.query.search(filter);
  }

  @ApiErrors(400, 403, 413)
  @Post()
  @Roles('applicant', 'project-manager')
  async file(@CurrentUser() user: AuthUser, @Body() body: FileReleaseDto) {
    return this.releases.file(body.class, body.request, user.username);
  }

  @ApiErrors(404)
  @Get(':idOrNumber')
  async get(@Param('idOrNumber') idOrNumber: string) {
    const release = await this.releases.find(idOrNumber);
    const instance = release.instanceId ? await this.instances.activity(release.instanceId) : null;
    return {
      ...release,
      // The process version this release runs on (it finishes on it, whatever is deployed later).
      processKey: instance?.processKey ?? null,
      processVersion: instance?.version ?? null,
      currentSteps: instance?.activeActivities ?? [],
      openTasks: instance?.openTasks ?? [],
      incidents: instance?.incidents.filter((i) => i.status === 'open') ?? [],
    };
  }

  @ApiErrors(404)
  @Get(':idOrNumber/history')
  async history(@Param('idOrNumber') idOrNumber: string) {
    const release = await this.releases.find(idOrNumber);
    return release.instanceId ? this.instances.history(release.instanceId) : [];
  }

  /**
   * The audit trail as a person reads it, oldest first: who did which step when and what they decided and wrote,
   * what each automatic step did (files archived with checksums, CMDB items moved, notifications and to whom,
   * rollbacks), escalations, incidents and how they were resolved. `/history` keeps the raw events.
   */
  @ApiErrors(400, 404)
  @Get(':idOrNumber/timeline')
  async timeline(@Param('idOrNumber') idOrNumber: string, @Query() page: PageQueryDto) {
    return this.query.timeline(idOrNumber, page);
  }

  @ApiErrors(400, 403, 404, 409)
  @Post(':idOrNumber/cancel')
  @HttpCode(200)
  @Roles('project-manager', 'admin')
  async cancel(
    @CurrentUser() user: AuthUser,
    @Param('idOrNumber') idOrNumber: string,
    @Body() body: CancelReleaseDto,
  ) {
    return this.releases.cancel(idOrNumber, body.reason, user.username);
  }
}

@ApiTags('statistics')
@ApiBearerAuth()
@Controller('api/statistics')
export class StatisticsController {
  constructor(@Inject(ReleaseQueryService) private readonly query: ReleaseQueryService) {}

  /** 发布信息统计: JSON, or CSV with `Accept: text/csv`. */
  @ApiErrors(400, 403)
  @Get('releases')
  @Roles('project-manager', 'admin')
  async releases(
    @Query() filter: StatisticsQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    const statistics = await this.query.statistics(filter);
    if (accept?.includes('text/csv')) {
      response.setHeader('content-type', 'text/csv; charset=utf-8');
      response.setHeader('content-disposition', 'attachment; filename="release-statistics.csv"');
      return statisticsCsv(statistics);
    }
    return statistics;
  }
}
