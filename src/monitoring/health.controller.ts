import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ApiTags } from '@nestjs/swagger';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { Public } from '../identity/auth.decorators.js';
import { assertMigrationsApplied, pingDatabase } from '../platform/database/database-health.js';
import { pingRedis, REDIS } from '../platform/redis.js';

/** How long a dependency may take to answer before readiness calls it down. */
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
      () => this.probe('database', 'PostgreSQL', pingDatabase(this.dataSource)),
      () => this.probe('migrations', 'PostgreSQL', assertMigrationsApplied(this.dataSource)),
      () => this.probe('redis', 'Redis', pingRedis(this.redis)),
    ]);
  }

  /** Up when `check` resolves in time; down with its error message (or the timeout, naming `what`) otherwise. */
  private async probe<Key extends string>(key: Key, what: string, check: Promise<void>) {
    const indicator = this.indicators.check(key);
    try {
      await withTimeout(check, what);
      return indicator.up();
    } catch (err) {
      return indicator.down(String(err instanceof Error ? err.message : err));
    }
  }
}
