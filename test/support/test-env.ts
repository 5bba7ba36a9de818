import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Client } from 'pg';

export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh database and queue prefix per test file, so files never see each other's data. */
export interface TestResources {
  readonly databaseName: string;
  readonly databaseUrl: string;
  readonly queuePrefix: string;
}

/**
 * Names the migrated template database global setup made for this run (jest workers inherit it). A test
 * database is a copy of it: faster than migrating each one, and the migrations still run once per run.
 */
export const TEMPLATE_DATABASE_ENV = 'RELEASE_TEST_TEMPLATE_DB';

/**
 * The database is there already: the test made it itself (a restored fixture), or a service started beside
 * this one copied it first (duplicate_database, or a unique violation when both copied at the same moment).
 */
const ALREADY_THERE = new Set(['42P04', '23505']);

export function newTestResources(): TestResources {
  const suffix = randomBytes(5).toString('hex');
  const databaseName = `release_test_${suffix}`;
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${databaseName}`;
  return { databaseName, databaseUrl: url.toString(), queuePrefix: `test-${suffix}` };
}

/**
 * Creates the test database as a copy of this run's migrated template, unless it exists already, and holds
 * a connection to it until `work` (the start of the service that uses it) is done: the cleanup of another
 * run starting meanwhile drops idle test databases, and a database in use is safe from it. Without a template
 * (no global setup) the service creates and migrates the database on start.
 *
 * A test database commits without waiting for its write-ahead log to reach the disk (synchronous_commit off):
 * every write is still seen at once by every session, and only a crash of PostgreSQL itself, which no test
 * causes, could lose the last moments. A commit then takes a fraction of a millisecond instead of a flush of
 * a few (5 ms here with other work on the disk), and a flow scenario commits hundreds of times.
 */
export async function withTestDatabase<T>(resources: TestResources, work: () => Promise<T>): Promise<T> {
  const template = process.env[TEMPLATE_DATABASE_ENV];
  if (!template) return work();
  await withAdminClient(async (client) => {
    try {
      await client.query(`CREATE DATABASE "${resources.databaseName}" TEMPLATE "${template}"`);
      // Only its maker: two services starting side by side would update the same setting concurrently.
      await client.query(`ALTER DATABASE "${resources.databaseName}" SET synchronous_commit = off`);
    } catch (err) {
      if (!ALREADY_THERE.has((err as { code?: string }).code ?? '')) throw err;
    }
  });
  const hold = new Client({ connectionString: resources.databaseUrl });
  // A test that failed meanwhile drops the database under it (57P01 at teardown): nothing to report then.
  hold.on('error', () => undefined);
  await hold.connect();
  try {
    return await work();
  } finally {
    await hold.end();
  }
}

export async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function dropTestResources(resources: TestResources): Promise<void> {
  await withAdminClient((client) =>
    client.query(`DROP DATABASE IF EXISTS "${resources.databaseName}" WITH (FORCE)`),
  );
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${resources.queuePrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await disconnected(redis);
  }
}

/**
 * Disconnects and resolves once the socket is closed (or after a second, when it was not connected): a socket
 * still closing when a test file ends can hold its test process past jest's half second for exiting, which then
 * kills it ("A worker process has failed to exit gracefully").
 */
async function disconnected(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => {
      redis.once('end', () => resolve());
      redis.disconnect();
    }),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, 1000);
    }),
  ]);
  clearTimeout(timer);
}

/** Poll until the check passes; fail with what was last seen. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  { timeoutMs = 15_000, intervalMs = 50, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`,
  );
}
