import { Controller, Get, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { Public } from '../auth/auth.decorators.js';
import { REDIS } from '../jobs/redis.js';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready() {
    const checks = {
      database: await this.dataSource
        .query('SELECT 1')
        .then(() => 'up')
        .catch(() => 'down'),
      redis: await this.redis
        .ping()
        .then(() => 'up')
        .catch(() => 'down'),
    };
    const ok = Object.values(checks).every((c) => c === 'up');
    if (!ok)
      throw new HttpException(
        { message: `not ready: ${JSON.stringify(checks)}` },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    return { status: 'ok', checks };
  }
}
