import {
  Global,
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from './config/app-config.js';
import { FaultInjector } from './common/fault-injector.js';
import { createDataSource, ensureDatabase, migrate } from './database/data-source.js';
import { BullMqJobQueue } from './jobs/bullmq-job-queue.js';
import { JOB_QUEUE } from './jobs/job-queue.port.js';
import { createRedis, REDIS } from './jobs/redis.js';

/** Closes connections last, after workers and the relay have stopped (they stop in beforeApplicationShutdown). */
@Injectable()
class ConnectionCloser implements OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(JOB_QUEUE) private readonly queue: BullMqJobQueue,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
    await this.redis.quit().catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** Configuration, PostgreSQL, Redis and the queue port: the infrastructure every module shares. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: FaultInjector, useValue: new FaultInjector(config.faultInjection) },
        {
          provide: DataSource,
          useFactory: async () => {
            await ensureDatabase(config.databaseUrl);
            const dataSource = createDataSource(config.databaseUrl);
            await dataSource.initialize();
            await migrate(dataSource);
            return dataSource;
          },
        },
        { provide: REDIS, useFactory: () => createRedis(config.redisUrl) },
        {
          provide: JOB_QUEUE,
          inject: [REDIS],
          useFactory: (redis: Redis) => new BullMqJobQueue(redis, config.queuePrefix, config.jobBackoffMs),
        },
        ConnectionCloser,
      ],
      exports: [APP_CONFIG, FaultInjector, DataSource, REDIS, JOB_QUEUE],
    };
  }
}
