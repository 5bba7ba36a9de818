import { randomBytes } from 'node:crypto';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { POSTGRES_ADMIN_URL, REDIS_URL, TEMPLATE_DATABASE_ENV } from './support/test-env';

/**
 * Fail fast, with the fix, when PostgreSQL or Redis is not there; drop databases a killed run left behind;
 * migrate this run's template database, which every test database is then copied from (so the migrations run
 * from an empty database once per run).
 */
export default async function globalSetup(): Promise<void> {
  const client = new Client({ connectionString: POSTGRES_ADMIN_URL });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${POSTGRES_ADMIN_URL} (${String(err)}): run bash .ci/run, or start it`,
      { cause: err },
    );
  }
  try {
    await dropLeftovers(client);
    // One template per jest run, even when several projects each run this setup.
    if (!process.env[TEMPLATE_DATABASE_ENV]) {
      process.env[TEMPLATE_DATABASE_ENV] = await migratedTemplate(client);
      // Where the test environment notes each file's CPU time for the slowest-files reporter.
      process.env.TEST_CPU_LOG = join(
        tmpdir(),
        `release-flow-test-cpu-${randomBytes(5).toString('hex')}.jsonl`,
      );
    }
  } finally {
    await client.end();
  }
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(
      `Redis is not reachable at ${REDIS_URL} (${String(err)}): run bash .ci/run, or start it`,
      {
        cause: err,
      },
    );
  } finally {
    redis.disconnect();
  }
}

/**
 * Test and bench databases more than an hour old: a run in progress may have made one a moment ago and not
 * connected yet, so younger ones are left alone. A template is unmarked first (PostgreSQL keeps templates).
 * Their age comes from the data directory, which only a superuser may read: other users keep their leftovers.
 */
async function dropLeftovers(client: Client): Promise<void> {
  const stale: Array<{ datname: string; datistemplate: boolean }> = await client
    .query(
      `SELECT datname, datistemplate FROM pg_database
        WHERE (datname LIKE 'release\\_test\\_%' OR datname LIKE 'release\\_bench\\_%')
          AND (pg_stat_file('base/' || oid || '/PG_VERSION', true)).modification < now() - interval '1 hour'`,
    )
    .then(
      (result) => result.rows,
      () => [],
    );
  for (const { datname, datistemplate } of stale) {
    if (datistemplate) await client.query(`ALTER DATABASE "${datname}" IS_TEMPLATE false`);
    // A database still in use belongs to a run in progress: leave it.
    await client.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => undefined);
  }
}

/** A new database with every migration applied, marked a template that accepts no connections. */
async function migratedTemplate(client: Client): Promise<string> {
  const name = `release_test_tpl_${randomBytes(5).toString('hex')}`;
  await client.query(`CREATE DATABASE "${name}"`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  const { createDataSource, migrate } = await withTsResolution(
    () => import('../src/platform/database/data-source.js'),
  );
  // Two connections: migrate() holds its advisory lock on one while the migrations run on another.
  const dataSource = createDataSource(url.toString(), [], 2);
  try {
    await dataSource.initialize();
    await migrate(dataSource);
  } catch (err) {
    if (dataSource.isInitialized) await dataSource.destroy();
    await client.query(`DROP DATABASE IF EXISTS "${name}"`);
    throw new Error(`the migrations failed on an empty database: ${String(err)}`, { cause: err });
  }
  await dataSource.destroy();
  // No connections: autovacuum, too, would make a copy fail with "being accessed by other users".
  await client.query(`ALTER DATABASE "${name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  return name;
}

type Resolve = (request: string, ...rest: unknown[]) => string;

/**
 * Global setup is loaded without the configuration's moduleNameMapper: src/ imports its siblings as `./x.js`
 * (Node's ESM spelling), so while `load` runs, a `.js` that is not there resolves to its `.ts`.
 */
async function withTsResolution<T>(load: () => Promise<T>): Promise<T> {
  const loader = Module as unknown as { _resolveFilename: Resolve };
  const resolve = loader._resolveFilename;
  loader._resolveFilename = function (this: unknown, request, ...rest) {
    try {
      return resolve.call(this, request, ...rest);
    } catch (err) {
      if (!/^\.{1,2}\/.*\.js$/.test(request)) throw err;
      return resolve.call(this, request.replace(/\.js$/, '.ts'), ...rest);
    }
  };
  try {
    return await load();
  } finally {
    loader._resolveFilename = resolve;
  }
}
