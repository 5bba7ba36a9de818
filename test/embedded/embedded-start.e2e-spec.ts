import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from '../../src/platform/embedded/child-redis';
import { freePort } from '../support/child-service';
import { EMERGENCY_HAPPY_PATH, ReleaseDriver } from '../support/release-driver';
import { eventually } from '../support/test-env';
import { seedUsersOverHttp } from '../support/users';

const PROJECT_ROOT = join(__dirname, '..', '..');
const MAIN = join(PROJECT_ROOT, 'dist', 'src', 'main.js');
const WORKER = join(PROJECT_ROOT, 'dist', 'src', 'worker.js');
/** The end-to-end case needs a redis-server binary for the service to start (.ci/run installs one). */
const itWithRedisServer = findOnPath('redis-server') ? it : it.skip;

interface Service {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/**
 * The built service as `npm start` runs it: nothing configured but where Redis is, fast test timings and cheap
 * password hashing.
 */
function spawnBuilt(entry: string, cwd: string, env: Record<string, string>): Service & { port: number } {
  const port = Number(env.PORT ?? 0);
  const child = spawn(process.execPath, [entry], {
    cwd,
    // No DATABASE_URL, no ADMIN_PASSWORD, no JWT_SECRET: the zero-setup start.
    env: {
      PROCESSES_DIR: join(PROJECT_ROOT, 'processes'),
      JOB_BACKOFF_MS: '20',
      OUTBOX_POLL_MS: '200',
      JOB_LOCK_MS: '2000',
      SHUTDOWN_TIMEOUT_MS: '5000',
      BCRYPT_ROUNDS: '4',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, port, url: `http://127.0.0.1:${port}`, exited, output: () => output };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `npm start` with nothing configured: embedded PostgreSQL (PGlite) under ./data, a child redis-server where no
 * Redis answers, the flows deployed and the first administrator's password printed.
 */
describe('zero-setup start', () => {
  const folders: string[] = [];
  const services: Service[] = [];

  const tempFolder = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'release-flow-zero-'));
    folders.push(dir);
    return dir;
  };

  afterEach(async () => {
    for (const service of services.splice(0)) {
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
      await service.exited;
    }
    await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  const start = async (cwd: string, redisUrl: string) => {
    const service = spawnBuilt(MAIN, cwd, {
      PATH: process.env.PATH ?? '',
      PORT: String(await freePort()),
      REDIS_URL: redisUrl,
    });
    services.push(service);
    try {
      await eventually(
        async () => {
          if (service.child.exitCode !== null) throw new Error('the service exited');
          // Its own line first: whatever else answers on the port is not this service.
          if (!service.output().includes(`listening on port ${service.port}`)) return false;
          const response = await fetch(`${service.url}/health/ready`).catch(() => undefined);
          return response?.ok;
        },
        { timeoutMs: 90_000, intervalMs: 100, what: 'the zero-setup service to be ready' },
      );
    } catch (err) {
      throw new Error(`${String(err)}\n${service.output()}`, { cause: err });
    }
    return service;
  };

  const stop = async (service: Service) => {
    service.child.kill('SIGTERM');
    return service.exited;
  };

  itWithRedisServer(
    'given an empty folder and no Redis, when started, it runs a release end to end and keeps it across a restart',
    async () => {
      const cwd = await tempFolder();
      // Nothing listens here: the service starts its own redis-server on this port.
      const redisUrl = `redis://127.0.0.1:${await freePort()}`;

      const first = await start(cwd, redisUrl);
      const health = (await (await fetch(`${first.url}/health/ready`)).json()) as { status: string };
      expect(health.status).toBe('ok');
      expect(existsSync(join(cwd, 'data', 'pg', 'PG_VERSION'))).toBe(true);
      const redisPid = Number(/started redis-server \(pid (\d+)\)/.exec(first.output())?.[1]);
      expect(isRunning(redisPid)).toBe(true);
      const password = /sign in as \\?"admin\\?" with password \\?"([^"\\]+)\\?"/.exec(first.output())?.[1];
      expect(password).toBeDefined();
      expect(first.output()).toMatch(/deployed emergency-release version 1/);

      const tokens = await seedUsersOverHttp(first.url, password);
      const driver = new ReleaseDriver(first.url, tokens);
      // Several at once: API requests and queue workers share the embedded database's single connection.
      const releases = await Promise.all(
        [1, 2, 3].map((n) => driver.file('emergency', { title: `Hotfix ${n}` })),
      );
      const [release, ...others] = releases as [(typeof releases)[0], ...typeof releases];
      const statuses = await Promise.all(others.map((r) => driver.runToEnd(r.id, EMERGENCY_HAPPY_PATH)));
      expect(statuses).toEqual(['closed', 'closed']);
      // This one waits at its first task across the restart.
      await driver.openTask(release.id, 'approve-emergency');

      expect(await stop(first)).toEqual({ code: null, signal: 'SIGTERM' });
      expect(isRunning(redisPid)).toBe(false);
      expect(existsSync(join(cwd, 'data', 'release-flow.pid'))).toBe(false);

      const second = await start(cwd, redisUrl);
      // Same database: no flow deployed again, no second administrator, the releases are there.
      expect(second.output()).not.toMatch(/created the first administrator/);
      expect(second.output()).not.toMatch(/deployed \S+ version/);
      const again = new ReleaseDriver(second.url, await seedUsersOverHttp(second.url, password));
      const stored = await again.call('GET', `/api/releases/${others[0]!.id}`, undefined, 'project-manager');
      expect(stored.status).toBe(200);
      expect(stored.body).toMatchObject({ number: others[0]!.number, status: 'closed' });
      expect(await again.runToEnd(release.id, EMERGENCY_HAPPY_PATH)).toBe('closed');
      await stop(second);
    },
    // Two embedded PostgreSQL starts (WebAssembly, CPU-bound) and three emergency releases through its single
    // connection: slow while the other test files run beside it (120 s was missed once the emergency flow grew).
    240_000,
  );

  it('given no Redis answering and no redis-server on the PATH, when started, it exits 1 naming the three ways to get one', async () => {
    const cwd = await tempFolder();
    const redisUrl = `redis://127.0.0.1:${await freePort()}`;
    const service = spawnBuilt(MAIN, cwd, { PATH: cwd, PORT: String(await freePort()), REDIS_URL: redisUrl });
    services.push(service);

    expect(await service.exited).toEqual({ code: 1, signal: null });
    const output = service.output();
    expect(output).toContain(`Redis does not answer at ${redisUrl}`);
    expect(output).toMatch(/set REDIS_URL to a running Redis/);
    expect(output).toMatch(/apt-get install redis-server/);
    expect(output).toMatch(/docker compose up -d redis/);
    // Redis is checked before PostgreSQL is set up: the answer comes at once.
    expect(existsSync(join(cwd, 'data', 'pg'))).toBe(false);
    expect(existsSync(join(cwd, 'data', 'release-flow.pid'))).toBe(false);
  });

  it('given no DATABASE_URL, the worker entry exits 1 and says to set it', async () => {
    const cwd = await tempFolder();
    const service = spawnBuilt(WORKER, cwd, { PATH: process.env.PATH ?? '' });
    services.push(service);

    expect(await service.exited).toEqual({ code: 1, signal: null });
    expect(service.output()).toMatch(/The worker needs DATABASE_URL/);
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });
});
