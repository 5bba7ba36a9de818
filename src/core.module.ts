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
import { CLOCK, systemClock, type Clock } from './platform/clock.js';
import { FaultInjector } from './platform/fault-injector.js';
import { createDataSource, ensureDatabase, migrate } from './platform/database/data-source.js';
import { embeddedDataSource, stopZeroSetup } from './platform/embedded/zero-setup.js';
import { BullMqJobQueue } from './queue/bullmq-job-queue.js';
import { JOB_QUEUE } from './queue/job-queue.port.js';
import { BullMqQueueInspector } from './queue/bullmq-queue-inspector.js';
import { OutboxRepository } from './queue/outbox.repository.js';
import { QUEUE_INSPECTOR } from './queue/queue-inspector.port.js';
import { createRedis, REDIS } from './platform/redis.js';

/** Closes connections last, after workers and the relay have stopped (they stop in beforeApplicationShutdown). */
@Injectable()
class ConnectionCloser implements OnApplicationShutdown {
  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(JOB_QUEUE) private readonly queue: BullMqJobQueue,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    // An unreachable Redis must not hold the shutdown: give it a moment, then drop the connections.
    await within(3000, this.queue.close());
    if (!(await within(2000, this.redis.quit()))) this.redis.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await stopZeroSetup(); // the embedded PostgreSQL and child redis-server, if this process runs them
  }
}

/** true when the promise settled within the time; a rejection counts as settled. */
async function within(ms: number, promise: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([
    settled,
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return result;
}

/** Configuration, PostgreSQL, Redis and the queue port: the infrastructure every module shares. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, clock: Clock = systemClock): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
        { provide: FaultInjector, useValue: new FaultInjector(config.faultInjection) },
        {
          provide: DataSource,
          useFactory: async () => {
            if (config.databaseUrl === undefined) return embeddedDataSource();
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
        OutboxRepository,
        { provide: QUEUE_INSPECTOR, useClass: BullMqQueueInspector },
        ConnectionCloser,
      ],
      exports: [APP_CONFIG, CLOCK, FaultInjector, DataSource, REDIS, JOB_QUEUE, QUEUE_INSPECTOR],
    };
  }
}
