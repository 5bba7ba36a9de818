import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { App } from 'supertest/types';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { loadConfig, type AppConfig } from '../../src/config/app-config';
import { configureApp } from '../../src/configure-app';
import type { JobHandler } from '../../src/queue/job-handler.port';
import type { Clock } from '../../src/platform/clock';
import {
  dropTestResources,
  newTestResources,
  REDIS_URL,
  withTestDatabase,
  type TestResources,
} from './test-env';
import { seedUsers, TEST_ADMIN_PASSWORD, TEST_JWT_SECRET, type Tokens } from './users';
import { TokenService } from '../../src/identity/token.service';
import { UserService } from '../../src/identity/user.service';

export const PROJECT_ROOT = join(__dirname, '..', '..');

export interface AuthorisedRequest {
  get(url: string): request.Test;
  post(url: string): request.Test;
  patch(url: string): request.Test;
}

export interface TestApp {
  readonly app: INestApplication;
  readonly config: AppConfig;
  readonly dataSource: DataSource;
  readonly resources: TestResources;
  /** Supertest against the app, unauthenticated. */
  http(): ReturnType<typeof request>;
  /** Supertest with the bearer token of a user (one user per role, named after it; see users.ts). */
  as(username: string): AuthorisedRequest;
  /** Bearer tokens by username. */
  readonly tokens: Tokens;
  get<T>(token: unknown): T;
  /** Close the app (keeping the database), e.g. to restart it on the same data. */
  stop(): Promise<void>;
  /** Close the app and drop its database and queues. */
  close(): Promise<void>;
}

/** Environment for a test app: fast retries and polling so scenarios run in seconds. */
export function testEnv(
  resources: TestResources,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: resources.databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: resources.queuePrefix,
    PROCESSES_DIR: join(PROJECT_ROOT, 'processes'),
    JOB_BACKOFF_MS: '20',
    OUTBOX_POLL_MS: '200',
    JOB_LOCK_MS: '2000',
    WORKER_CONCURRENCY: '4',
    JWT_SECRET: TEST_JWT_SECRET,
    // bcrypt's least cost: each test user's hash and every sign-in take a fraction of a millisecond.
    BCRYPT_ROUNDS: '4',
    // Bursts (50 filings at once) wait for a pooled connection while other files load both cores.
    DATABASE_POOL_TIMEOUT_MS: '30000',
    LOG_LEVEL: 'warn',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    ...overrides,
  };
}

/** The whole service in this process (API and workers) on its own database and queue prefix. */
export async function startTestApp(
  overrides: Record<string, string> = {},
  resources: TestResources = newTestResources(),
  jobHandlers: readonly JobHandler[] = [],
  { clock }: { clock?: Clock } = {},
): Promise<TestApp> {
  const config = loadConfig(testEnv(resources, overrides));
  const app = await withTestDatabase(resources, async () => {
    // A boot that fails fails this file, instead of Nest ending the process (and a run in band with it).
    const created = await NestFactory.create(AppModule.forRoot(config, jobHandlers, { clock }), {
      bodyParser: false,
      logger: ['error', 'warn'],
      abortOnError: false,
    });
    configureApp(created);
    try {
      await created.init();
    } catch (err) {
      await created.close().catch(() => undefined);
      throw err;
    }
    return created;
  });
  const tokens = await seedUsers(app.get(UserService), app.get(TokenService));
  const http = () => request(app.getHttpServer() as App);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await app.close();
  };
  return {
    app,
    config,
    resources,
    dataSource: app.get(DataSource),
    http,
    tokens,
    as: (username: string) => {
      const token = tokens[username];
      if (!token) throw new Error(`no test user "${username}"`);
      const auth = `Bearer ${token}`;
      return {
        get: (url: string) => http().get(url).set('Authorization', auth),
        post: (url: string) => http().post(url).set('Authorization', auth),
        patch: (url: string) => http().patch(url).set('Authorization', auth),
      };
    },
    get: <T>(token: unknown) => app.get(token as never) as T,
    stop,
    close: async () => {
      await stop();
      await dropTestResources(resources);
    },
  };
}
