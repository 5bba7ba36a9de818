import { Controller, Get, Inject } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { ApiTags } from '@nestjs/swagger';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { Public } from '../identity/auth.decorators.js';
import { assertMigrationsApplied } from '../platform/database/database-health.js';
import { pingRedis, REDIS } from '../platform/redis.js';

/** How long a dependency may take to answer before readiness calls it down. */
const PROBE_TIMEOUT_MS = 2000;

/** Liveness (the process answers) and readiness (PostgreSQL, Redis, and every migration applied). */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(TypeOrmHealthIndicator) private readonly database: TypeOrmHealthIndicator,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    // The app builds its own DataSource (no TypeOrmModule), so the indicator is handed it.
    return this.health.check([
      () =>
        this.database.pingCheck('database', { connection: this.dataSource }).withTimeout(PROBE_TIMEOUT_MS),
      () =>
        this.indicators
          .check('migrations')
          .attempt(() => assertMigrationsApplied(this.dataSource))
          .withTimeout(PROBE_TIMEOUT_MS),
      () =>
        this.indicators
          .check('redis')
          .attempt(() => pingRedis(this.redis))
          .withTimeout(PROBE_TIMEOUT_MS),
    ]);
  }
}
