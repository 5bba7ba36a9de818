import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { ConfigError, type AppConfig } from '../../config/app-config.js';
import { createDataSource, type EntityList } from '../database/data-source.js';
import { canRunLocally, ChildRedis, findOnPath, probeRedis } from './child-redis.js';
import { EMBEDDED_POOL_SIZE, EmbeddedPostgres } from './embedded-postgres.js';

/**
 * The zero-setup start: with DATABASE_URL unset, `npm start` needs nothing but Node.js. PostgreSQL is embedded
 * (PGlite, data in ./data/pg); Redis is REDIS_URL (default 127.0.0.1:6379) or, where nothing answers on this
 * machine and a redis-server binary is on the PATH, a child redis-server with its data in ./data/redis.
 * Everything started here is process-wide and is stopped by stopZeroSetup (the core module calls it last on
 * shutdown).
 */

/** Where the zero-setup start keeps its data, relative to the working folder. */
export const DATA_DIR = 'data';

/** A start that cannot go on, with what to do about it; printed without a stack trace. */
export class ZeroSetupError extends ConfigError {}

export function isZeroSetup(config: AppConfig): boolean {
  return config.databaseUrl === undefined;
}

interface Running {
  readonly dataDir: string;
  locked: Promise<void>;
  lockFile?: string;
  postgres?: Promise<EmbeddedPostgres>;
  redis?: ChildRedis;
}

let running: Running | undefined;
const logger = new Logger('ZeroSetup');

/** main.ts, before the app: lock ./data, find or start Redis, start PostgreSQL. A no-op with DATABASE_URL. */
export async function startZeroSetup(config: AppConfig, dataDir = DATA_DIR): Promise<void> {
  if (!isZeroSetup(config)) return;
  try {
    const current = await lockOnce(dataDir);
    await ensureRedis(config.redisUrl, current);
    const postgres = await embeddedPostgres(dataDir);
    logger.log(
      `no DATABASE_URL: embedded PostgreSQL (PGlite) for this process only, data in ${join(current.dataDir, 'pg')} (served on ${new URL(postgres.url).host})`,
    );
  } catch (err) {
    await stopZeroSetup().catch(() => undefined);
    throw err;
  }
}

/**
 * The DataSource on the embedded database (started here if main.ts did not), migrated. One connection only
 * (see EmbeddedPostgres); migrations run without the advisory lock that `migrate()` takes on a second
 * connection: with one connection that lock would wait for itself, and the data folder lock already keeps any
 * other process out.
 */
export async function embeddedDataSource(entities: EntityList, dataDir = DATA_DIR): Promise<DataSource> {
  const postgres = await embeddedPostgres(dataDir);
  const dataSource = createDataSource(postgres.url, entities, EMBEDDED_POOL_SIZE);
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'all' });
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  return dataSource;
}

/** Stop what the zero-setup start runs: PostgreSQL (cleanly), the child redis-server, the data folder lock. */
export async function stopZeroSetup(): Promise<void> {
  const current = running;
  if (!current) return;
  running = undefined;
  const postgres = await current.postgres?.catch(() => undefined);
  await Promise.all([
    postgres?.stop().catch((err: unknown) => logger.warn(`stopping PostgreSQL: ${String(err)}`)),
    current.redis?.stop().catch((err: unknown) => logger.warn(`stopping redis-server: ${String(err)}`)),
  ]);
  if (current.lockFile) await rm(current.lockFile, { force: true });
}

/** The data folder, locked for this process (once; later calls wait for the same lock). */
async function lockOnce(dataDir: string): Promise<Running> {
  if (!running) {
    const current: Running = { dataDir: resolve(dataDir), locked: Promise.resolve() };
    current.locked = lockDataDir(current.dataDir).then((file) => {
      current.lockFile = file;
    });
    running = current;
  }
  const current = running;
  await current.locked;
  return current;
}

async function embeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const current = await lockOnce(dataDir);
  current.postgres ??= EmbeddedPostgres.start(join(current.dataDir, 'pg'));
  return current.postgres;
}

/** One process per data folder: two PGlite instances on the same files would corrupt them. */
async function lockDataDir(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'release-flow.pid');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(file, String(process.pid), { flag: 'wx' });
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && (await isAlive(pid))) {
      throw new ZeroSetupError(
        `${dir} is in use by another release-flow process (pid ${pid}). Stop that one first, start this one ` +
          `from another folder, or set DATABASE_URL to a PostgreSQL server both can share.`,
      );
    }
    await rm(file, { force: true }); // left behind by a process that has gone
  }
  throw new ZeroSetupError(`could not lock ${dir} (${file})`);
}

async function isAlive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A process that has ended but was not yet reaped by its parent (a zombie) still answers signal 0.
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return !/^\d+ \(.*\) Z/s.test(stat);
}

async function ensureRedis(url: string, current: Running): Promise<void> {
  const where = redact(url);
  const answer = await probeRedis(url);
  if (answer === 'ok') {
    logger.log(`Redis at ${where}`);
    return;
  }
  if (answer === 'other') {
    // Something is there but did not answer PING (a password, TLS, another server): go on, the usual errors follow.
    logger.warn(`Redis at ${where} did not answer PING; going on with it`);
    return;
  }
  const binary = canRunLocally(url) ? findOnPath('redis-server') : undefined;
  if (!binary) throw new ZeroSetupError(noRedisMessage(where, canRunLocally(url)));
  await runChildRedis(binary, url, current);
}

const MAX_REDIS_RESTARTS = 5;

/** Start the child redis-server, and start it again (same port, same AOF) should it end on its own. */
async function runChildRedis(binary: string, url: string, current: Running, restarts = 0): Promise<void> {
  const dir = join(current.dataDir, 'redis');
  const redis = await ChildRedis.start(binary, url, dir);
  if (running !== current) return redis.stop(); // the service stopped while this one started
  current.redis = redis;
  logger.log(
    `nothing answered at ${redact(url)}: started redis-server (pid ${redis.pid}) there, data in ${dir}`,
  );
  void redis.exited.then(async ({ expected, output }) => {
    if (expected || running !== current) return;
    logger.error(`redis-server (pid ${redis.pid}) ended on its own:\n${output.slice(-1000)}`);
    if (restarts >= MAX_REDIS_RESTARTS) {
      logger.error(
        'redis-server was restarted too often: jobs and timers wait until the service is restarted',
      );
      return;
    }
    await runChildRedis(binary, url, current, restarts + 1).catch((err: unknown) =>
      logger.error(`restarting redis-server failed: ${String(err)}`),
    );
  });
}

export function noRedisMessage(where: string, local: boolean): string {
  return [
    local
      ? `Redis does not answer at ${where}, and there is no redis-server on the PATH to start one.`
      : `Redis does not answer at ${where}.`,
    'Get a Redis in one of three ways, then start again:',
    '  1. set REDIS_URL to a running Redis, e.g. REDIS_URL=redis://redis.example.com:6379',
    '  2. install redis-server (apt-get install redis-server, or brew install redis): with REDIS_URL unset',
    '     or on this machine, the service then runs one itself, with its data in ./data/redis',
    '  3. run `docker compose up -d redis` (the Redis of docker-compose.yml, on 127.0.0.1:6379)',
  ].join('\n');
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString().replace(/\/$/, '');
}
