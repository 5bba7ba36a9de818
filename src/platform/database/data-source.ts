import { DataSource, MigrationExecutor } from 'typeorm';
import { withSessionLock } from './advisory-lock.js';
import { beginPipeliningPg } from './begin-pipelining-pg.js';
import { within } from '../within.js';
import { InitialSchema1795500000000 } from './migrations/1795500000000-InitialSchema.js';
import { UsersAndInbox1795550000000 } from './migrations/1795550000000-UsersAndInbox.js';
import { ServiceTaskWork1795600000000 } from './migrations/1795600000000-ServiceTaskWork.js';
import { TokenGeneration1795700000000 } from './migrations/1795700000000-TokenGeneration.js';
import { InboxIndexes1795720000000 } from './migrations/1795720000000-InboxIndexes.js';
import { OutboxClaim1795800000000 } from './migrations/1795800000000-OutboxClaim.js';
import { DecisionDefinitions1795810000000 } from './migrations/1795810000000-DecisionDefinitions.js';
import { InstanceWaits1795820000000 } from './migrations/1795820000000-InstanceWaits.js';
import { Messages1795830000000 } from './migrations/1795830000000-Messages.js';
import { SignalSubscriptions1795840000000 } from './migrations/1795840000000-SignalSubscriptions.js';
import { ExternalJobLeases1795850000000 } from './migrations/1795850000000-ExternalJobLeases.js';
import { CalledInstances1795860000000 } from './migrations/1795860000000-CalledInstances.js';
import { MessageStarts1795870000000 } from './migrations/1795870000000-MessageStarts.js';
import { TaskListAndEscalation1795930000000 } from './migrations/1795930000000-TaskListAndEscalation.js';
import { OpenTasksByPriorityDescending1795931000000 } from './migrations/1795931000000-OpenTasksByPriorityDescending.js';
import { CamundaKeys1795900000000 } from './migrations/1795900000000-CamundaKeys.js';
import { FormDefinitions1795939100000 } from './migrations/1795939100000-FormDefinitions.js';
import { TimerStarts1795950000000 } from './migrations/1795950000000-TimerStarts.js';
import { SignalStarts1795951000000 } from './migrations/1795951000000-SignalStarts.js';
import { MessageStartKeys1795952000000 } from './migrations/1795952000000-MessageStartKeys.js';
import { OpenOfferedTasksByGroup1795960000000 } from './migrations/1795960000000-OpenOfferedTasksByGroup.js';
import { ElementIncidents1795970000000 } from './migrations/1795970000000-ElementIncidents.js';
import { IoMappingIncidents1795980000000 } from './migrations/1795980000000-IoMappingIncidents.js';
import { OpenIncidentCounts1795990000000 } from './migrations/1795990000000-OpenIncidentCounts.js';

/**
 * The entity classes a data source maps. Each module lists its own (`INSTANCE_ENTITIES`, ...); the composition
 * root hands their concatenation in, so the platform knows no module.
 */
export type EntityList = ReadonlyArray<abstract new (...args: never[]) => object>;

export const migrations = [
  InitialSchema1795500000000,
  UsersAndInbox1795550000000,
  ServiceTaskWork1795600000000,
  TokenGeneration1795700000000,
  InboxIndexes1795720000000,
  OutboxClaim1795800000000,
  DecisionDefinitions1795810000000,
  InstanceWaits1795820000000,
  Messages1795830000000,
  SignalSubscriptions1795840000000,
  ExternalJobLeases1795850000000,
  CalledInstances1795860000000,
  MessageStarts1795870000000,
  TaskListAndEscalation1795930000000,
  OpenTasksByPriorityDescending1795931000000,
  CamundaKeys1795900000000,
  FormDefinitions1795939100000,
  TimerStarts1795950000000,
  SignalStarts1795951000000,
  MessageStartKeys1795952000000,
  OpenOfferedTasksByGroup1795960000000,
  ElementIncidents1795970000000,
  IoMappingIncidents1795980000000,
  OpenIncidentCounts1795990000000,
];

/** A pool waits this long for a connection, then fails (503) instead of holding the request forever. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * `entities` may be empty where only migrations run (they are plain SQL); `connectTimeoutMs` is how long a
 * request waits for a pooled connection (DATABASE_POOL_TIMEOUT_MS) before it fails; `statementTimeoutMs`
 * (DATABASE_STATEMENT_TIMEOUT_MS, 0 for none) bounds each statement and each idle transaction of the pool's
 * sessions, where PostgreSQL enforces it.
 */
export function createDataSource(
  databaseUrl: string,
  entities: EntityList,
  poolSize = 10,
  connectTimeoutMs = CONNECT_TIMEOUT_MS,
  statementTimeoutMs = 0,
): DataSource {
  const timeouts =
    statementTimeoutMs > 0
      ? { statement_timeout: statementTimeoutMs, idle_in_transaction_session_timeout: statementTimeoutMs }
      : {};
  return new DataSource({
    type: 'postgres',
    // A transaction's BEGIN travels with its first statement: one round trip fewer per transaction.
    driver: beginPipeliningPg,
    url: databaseUrl,
    entities: [...entities],
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'all',
    synchronize: false,
    logging: ['error'],
    extra: { max: poolSize, connectionTimeoutMillis: connectTimeoutMs, ...timeouts },
  });
}

/** Arbitrary but fixed: serialises migration runs of processes booting side by side. */
const MIGRATION_LOCK = 7_311_402;

/**
 * Apply pending migrations, one process at a time, on one session without the statement timeout: waiting for
 * another process's migrations, or building an index on a large table, may take longer than any request should.
 */
export async function migrate(dataSource: DataSource): Promise<void> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SET statement_timeout = 0');
    await withSessionLock(runner, MIGRATION_LOCK, () =>
      new MigrationExecutor(dataSource, runner).executePendingMigrations(),
    );
  } finally {
    await runner.query('RESET statement_timeout').catch(() => undefined);
    await runner.release();
  }
}

/** Create the database named in the URL when it does not exist yet (first start on a fresh server). */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) return;
  url.pathname = '/postgres';
  const admin = new DataSource({ type: 'postgres', url: url.toString(), logging: ['error'] });
  await admin.initialize();
  try {
    const rows: unknown[] = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (rows.length === 0) await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (err) {
    // Another process may have created it in between.
    if (!/already exists/.test(String(err))) throw err;
  } finally {
    await admin.destroy();
  }
}

interface PgPool {
  readonly totalCount: number;
  on(event: 'remove', listener: () => void): unknown;
  off(event: 'remove', listener: () => void): unknown;
}

/**
 * Destroys the data source and resolves once its pooled connections are closed (or after `ms`). The pool's end
 * returns as soon as it has asked each connection to end, while their sockets still close; a process (a test
 * file, a worker) meant to exit then stays up meanwhile, which on a loaded machine outlasts jest's half second
 * for a worker to exit ("A worker process has failed to exit gracefully").
 */
export async function destroyDataSource(dataSource: DataSource, ms = 2000): Promise<void> {
  if (!dataSource.isInitialized) return;
  const pool = (dataSource.driver as { master?: PgPool }).master;
  let open = pool?.totalCount ?? 0;
  let allClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => (allClosed = resolve));
  const removed = () => {
    open -= 1;
    if (open <= 0) allClosed();
  };
  pool?.on('remove', removed);
  try {
    await dataSource.destroy();
    if (open > 0) await within(ms, closed);
  } finally {
    pool?.off('remove', removed);
  }
}
