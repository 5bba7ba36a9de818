import {
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Inject,
  Ip,
  Param,
  Post,
  Res,
  UnauthorizedException,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiBearerAuth, ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { Public, Roles } from '../identity/auth.decorators.js';
import { ApiErrors } from '../platform/http/api-errors.js';
import { signInThrottled } from '../platform/errors.js';
import { AdminAuth } from './admin-auth.js';
import { MetricsService } from './metrics.service.js';
import { QueueMonitorService } from './queue-monitor.service.js';

@Controller()
export class MetricsController {
  constructor(
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(AdminAuth) private readonly adminAuth: AdminAuth,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Prometheus exposition: with METRICS_TOKEN as bearer token, or an admin's credentials. */
  @Public()
  @ApiExcludeEndpoint()
  @Get('metrics')
  async scrape(
    @Headers('authorization') authorization: string | undefined,
    @Ip() address: string,
    @Res() response: Response,
  ) {
    const token = this.config.metricsToken;
    if (token === undefined || !sameSecret(authorization ?? '', `Bearer ${token}`)) {
      const check = await this.adminAuth.check(authorization, address);
      if ('retryAfterSeconds' in check) {
        throw signInThrottled(check.retryAfterSeconds);
      }
      if (!check.admin) throw new UnauthorizedException('metrics need the METRICS_TOKEN or an administrator');
    }
    const { contentType, body } = await this.metrics.exposition();
    response.setHeader('content-type', contentType);
    response.send(body);
  }
}

@ApiTags('queues')
@ApiBearerAuth()
@Controller('api/queues')
@Roles('admin')
export class QueuesController {
  constructor(@Inject(QueueMonitorService) private readonly queues: QueueMonitorService) {}

  /** Per queue: job counts by state, throughput, and the failed jobs with their reasons. */
  @ApiErrors(403)
  @Get()
  async list() {
    return this.queues.summaries();
  }

  @ApiErrors(403, 404, 409)
  @Post(':name/jobs/:id/retry')
  @HttpCode(200)
  async retry(@Param('name') name: string, @Param('id') id: string) {
    await this.queues.retry(name, id);
    return { retried: true };
  }

  @ApiErrors(403, 404, 409)
  @Delete(':name/jobs/:id')
  @HttpCode(200)
  async remove(@Param('name') name: string, @Param('id') id: string) {
    await this.queues.remove(name, id);
    return { removed: true };
  }
}

/** Compares in constant time, so the scrape token cannot be guessed byte by byte from response times. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
