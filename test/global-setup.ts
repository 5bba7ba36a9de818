import { Client } from 'pg';
import { Redis } from 'ioredis';
import { POSTGRES_ADMIN_URL, REDIS_URL } from './support/test-env';

/** Fail fast, with the fix, when PostgreSQL or Redis is not there; drop databases a killed run left behind. */
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
    const stale: Array<{ datname: string }> = (
      await client.query(
        `SELECT datname FROM pg_database WHERE datname LIKE 'release\\_test\\_%' OR datname LIKE 'release\\_bench\\_%'`,
      )
    ).rows;
    // A database still in use belongs to a run in progress: leave it.
    for (const { datname } of stale)
      await client.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => undefined);
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
