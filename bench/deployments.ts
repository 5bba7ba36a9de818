/**
 * Where the bench runs the service: the whole service in this process (API + workers, the default
 * deployment), or a scale-out of API and worker child processes on one PostgreSQL and one Redis. Both answer
 * the same questions: start an instance, the base URLs of the API, and the summed counters of the processes.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../src/app.module.js';
import { loadConfig } from '../src/config/app-config.js';
import { configureApp } from '../src/configure-app.js';
import { InstanceService } from '../src/instances/instance.service.js';
import { countCacheOf, readCounters, sumCounters, type Counters } from './instrument.js';
import { now, sleep } from './stats.js';

const DIST_ROOT = resolve(__dirname, '..');

export interface Deployment {
  readonly name: 'single' | 'scale-out';
  readonly apiUrls: readonly string[];
  /** Start an instance of a deployed process (no HTTP route does this for any process key). */
  start(processKey: string, variables: Record<string, unknown>): Promise<string>;
  /** Counters summed over the service's processes. */
  counters(): Promise<Counters>;
  /** Each process's counters, for per-process RSS. */
  countersByProcess(): Promise<Counters[]>;
  close(): Promise<void>;
}

export interface ServiceEnvironment {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly processesDir: string;
  readonly scratchDir: string;
  readonly jwtSecret: string;
  readonly adminPassword: string;
  readonly workerConcurrency: number;
  readonly outboxPollMs: number;
}

function serviceEnv(env: ServiceEnvironment, extra: Record<string, string> = {}): Record<string, string> {
  // An explicit environment, not process.env: no SMTP or webhook is configured, so `notify` sends nothing.
  return {
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    QUEUE_PREFIX: env.queuePrefix,
    PROCESSES_DIR: env.processesDir,
    WORKER_CONCURRENCY: String(env.workerConcurrency),
    OUTBOX_POLL_MS: String(env.outboxPollMs),
    JOB_BACKOFF_MS: '20',
    LOG_LEVEL: 'warn',
    JWT_SECRET: env.jwtSecret,
    ADMIN_PASSWORD: env.adminPassword,
    // Keep anything the service writes to disk out of the checkout.
    PSL_DIR: env.scratchDir,
    ...extra,
  };
}

/** API and workers in this process, listening on a free port: the counters are this process's. */
export async function startSingle(
  env: ServiceEnvironment,
): Promise<Deployment & { readonly app: INestApplication; readonly bootMs: number }> {
  const config = loadConfig(serviceEnv(env, { RUN_WORKERS: 'true', PORT: '0' }));
  const t0 = now();
  const app = await NestFactory.create(AppModule.forRoot(config), {
    bodyParser: false,
    logger: ['error', 'warn'],
  });
  configureApp(app);
  await app.listen(0, '127.0.0.1');
  const bootMs = now() - t0;
  const port = (app.getHttpServer() as { address(): AddressInfo }).address().port;
  const instances = app.get(InstanceService);
  countCacheOf(() => instances.engineCacheStats());
  return {
    name: 'single',
    app,
    bootMs,
    apiUrls: [`http://127.0.0.1:${port}`],
    start: async (processKey, variables) => (await instances.start(processKey, variables)).id,
    counters: async () => readCounters(),
    countersByProcess: async () => [readCounters()],
    close: async () => {
      const closing = app.close().then(() => true);
      const closed = await Promise.race([closing, sleep(20_000).then(() => false)]);
      if (!closed) console.error('app.close() did not finish in 20 s');
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

interface Child {
  readonly role: 'api' | 'worker';
  readonly process: ChildProcess;
  readonly url?: string;
  output: string;
  ask<T>(message: Record<string, unknown>): Promise<T>;
}

function spawnChild(role: 'api' | 'worker', env: Record<string, string>, port: number | undefined): Child {
  const entry = join(DIST_ROOT, 'src', role === 'api' ? 'main.js' : 'worker.js');
  const child = fork(entry, [], {
    cwd: resolve(DIST_ROOT, '..'),
    execArgv: ['--require', join(DIST_ROOT, 'bench', 'instrument.js')],
    env: { PATH: process.env.PATH ?? '', ...env, BENCH_CHILD: '1' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, (reply: Record<string, unknown>) => void>();
  child.on('message', (reply: Record<string, unknown>) => {
    const id = Number(reply.id);
    pending.get(id)?.(reply);
    pending.delete(id);
  });
  const handle: Child = {
    role,
    process: child,
    url: port === undefined ? undefined : `http://127.0.0.1:${port}`,
    output: '',
    ask: <T>(message: Record<string, unknown>) =>
      new Promise<T>((done, fail) => {
        const id = nextId++;
        pending.set(id, (reply) => (reply.error ? fail(new Error(String(reply.error))) : done(reply as T)));
        child.send({ ...message, id });
      }),
  };
  const keep = (chunk: Buffer) => (handle.output = (handle.output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return handle;
}

async function waitUntilReady(child: Child, timeoutMs = 60_000): Promise<void> {
  const deadline = now() + timeoutMs;
  while (now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null)
      throw new Error(`${child.role} exited during boot:\n${child.output}`);
    if (child.url) {
      const response = await fetch(`${child.url}/health/ready`).catch(() => undefined);
      if (response?.ok) return;
    } else if (child.output.includes('workers running')) {
      return;
    }
    await sleep(200);
  }
  throw new Error(`${child.role} not ready in ${timeoutMs / 1000} s:\n${child.output}`);
}

async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.process.once('exit', () => done()));
  child.process.kill('SIGTERM');
  const gone = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!gone) {
    child.process.kill('SIGKILL');
    await exited;
  }
}

/**
 * `apis` API processes (RUN_WORKERS=false) and `workers` worker processes, children of the built entries with
 * the bench's counters preloaded. The first API boots alone, so the migrations and deployments run once.
 */
export async function startScaleOut(
  env: ServiceEnvironment,
  apis: number,
  workers: number,
): Promise<Deployment & { readonly pids: number[]; readonly bootMs: number }> {
  const children: Child[] = [];
  const t0 = now();
  try {
    for (let i = 0; i < apis; i++) {
      const port = await freePort();
      const child = spawnChild(
        'api',
        serviceEnv(env, { RUN_WORKERS: 'false', PORT: String(port), LOG_LEVEL: 'info' }),
        port,
      );
      children.push(child);
      if (i === 0) await waitUntilReady(child);
    }
    for (let i = 0; i < workers; i++)
      children.push(spawnChild('worker', serviceEnv(env, { LOG_LEVEL: 'info' }), undefined));
    await Promise.all(children.map((c) => waitUntilReady(c)));
  } catch (err) {
    await Promise.all(children.map(stopChild));
    throw err;
  }
  const bootMs = now() - t0;
  const apiChildren = children.filter((c) => c.role === 'api');
  let next = 0;
  const countersByProcess = () =>
    Promise.all(
      children.map(async (c) => (await c.ask<{ counters: Counters }>({ cmd: 'counters' })).counters),
    );
  return {
    name: 'scale-out',
    bootMs,
    pids: children.map((c) => c.process.pid ?? 0),
    apiUrls: apiChildren.map((c) => c.url!),
    start: async (processKey, variables) => {
      const api = apiChildren[next++ % apiChildren.length]!;
      return (await api.ask<{ instanceId: string }>({ cmd: 'start', processKey, variables })).instanceId;
    },
    counters: async () => sumCounters(await countersByProcess()),
    countersByProcess,
    close: async () => {
      await Promise.all(children.map(stopChild));
    },
  };
}
