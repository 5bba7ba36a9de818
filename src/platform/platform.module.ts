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
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CLOCK, systemClock, type Clock } from './clock.js';
import { FaultInjector } from './fault-injector.js';
import {
  createDataSource,
  destroyDataSource,
  ensureDatabase,
  migrate,
  type EntityList,
} from './database/data-source.js';
import { embeddedDataSource, stopZeroSetup } from './embedded/zero-setup.js';
import { closeRedis, createRedis, REDIS } from './redis.js';
import { within } from './within.js';

/**
 * Closes connections last, after workers and the relay have stopped (they stop in beforeApplicationShutdown).
 * Clients that ride on these connections (the job queue's) register their own closing, which runs first.
 */
@Injectable()
export class ConnectionCloser implements OnApplicationShutdown {
  private readonly riders: Array<() => Promise<unknown>> = [];

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  /** `close` runs before Redis and PostgreSQL are closed, for at most 3 s. */
  closeBeforeConnections(close: () => Promise<unknown>): void {
    this.riders.push(close);
  }

  async onApplicationShutdown(): Promise<void> {
    // An unreachable Redis must not hold the shutdown: give it a moment, then drop the connections.
    await within(3000, Promise.all(this.riders.map((close) => close())));
    await closeRedis(this.redis, 2000);
    await destroyDataSource(this.dataSource);
    await stopZeroSetup(); // the embedded PostgreSQL and child redis-server, if this process runs them
  }
}

export interface PlatformOptions {
  /** Every module's entity list, concatenated by the composition root. */
  readonly entities: EntityList;
  /** Times the durable timers; the system clock unless a test moves one by hand. */
  readonly clock?: Clock;
}

/** Configuration, clock, fault injection, PostgreSQL and Redis: the infrastructure every module shares. */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(config: AppConfig, { entities, clock = systemClock }: PlatformOptions): DynamicModule {
    return {
      module: PlatformModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
        { provide: FaultInjector, useValue: new FaultInjector(config.faultInjection) },
        {
          provide: DataSource,
          useFactory: async () => {
            if (config.databaseUrl === undefined) return embeddedDataSource(entities);
            await ensureDatabase(config.databaseUrl);
            const dataSource = createDataSource(
              config.databaseUrl,
              entities,
              undefined,
              config.databasePoolTimeoutMs,
              config.databaseStatementTimeoutMs,
            );
            await dataSource.initialize();
            await migrate(dataSource);
            return dataSource;
          },
        },
        { provide: REDIS, useFactory: () => createRedis(config.redisUrl) },
        ConnectionCloser,
      ],
      exports: [APP_CONFIG, CLOCK, FaultInjector, DataSource, REDIS, ConnectionCloser],
    };
  }
}
