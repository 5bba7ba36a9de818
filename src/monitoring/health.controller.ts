import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ApiTags } from '@nestjs/swagger';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { Public } from '../identity/auth.decorators.js';
import { REDIS } from '../platform/redis.js';

const PROBE_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} did not answer within ${PROBE_TIMEOUT_MS} ms`)),
        PROBE_TIMEOUT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Liveness (the process answers) and readiness (PostgreSQL, Redis, and every migration applied). */
@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
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
    return this.health.check([
      async () => {
        const database = this.indicators.check('database');
        try {
          await withTimeout(this.dataSource.query('SELECT 1'), 'PostgreSQL');
          return database.up();
        } catch (err) {
          return database.down(String(err instanceof Error ? err.message : err));
        }
      },
      async () => {
        const migrations = this.indicators.check('migrations');
        try {
          const pending = await withTimeout(this.dataSource.showMigrations(), 'PostgreSQL');
          return pending ? migrations.down('migrations are pending') : migrations.up();
        } catch (err) {
          return migrations.down(String(err instanceof Error ? err.message : err));
        }
      },
      async () => {
        const redis = this.indicators.check('redis');
        try {
          await withTimeout(this.redis.ping(), 'Redis');
          return redis.up();
        } catch (err) {
          return redis.down(String(err instanceof Error ? err.message : err));
        }
      },
    ]);
  }
}
