import { Client } from 'pg';
import { DataSource, QueryFailedError, type QueryRunner } from 'typeorm';
import { createDataSource, destroyDataSource, ensureDatabase } from '../../src/platform/database/data-source';
import { dropTestResources, eventually, newTestResources, withTestDatabase } from '../support/test-env';

/**
 * A transaction's BEGIN travels with its first statement (one write, one Sync). These scenarios hold the
 * transactions to the semantics of a separate BEGIN, on a real PostgreSQL, through TypeORM as the service uses it,
 * and count the round trips a transaction costs on its connection.
 */
describe('transactions whose BEGIN travels with their first statement', () => {
  const resources = newTestResources();
  let dataSource: DataSource;
  /** Another session, outside the data source: what it sees is what was committed. */
  let observer: Client;

  beforeAll(async () => {
    // One pooled connection: every transaction below reuses the client the previous one returned.
    dataSource = await withTestDatabase(resources, async () => {
      await ensureDatabase(resources.databaseUrl);
      const source = createDataSource(resources.databaseUrl, [], 1);
      await source.initialize();
      return source;
    });
    await dataSource.query('CREATE TABLE probe (id int PRIMARY KEY, note text NOT NULL)');
    observer = new Client({ connectionString: resources.databaseUrl });
    await observer.connect();
  });

  beforeEach(() => dataSource.query('TRUNCATE probe'));

  afterAll(async () => {
    await observer?.end();
    if (dataSource) await destroyDataSource(dataSource);
    await dropTestResources(resources);
  });

  const committedIds = async () =>
    (await observer.query<{ id: number }>('SELECT id FROM probe ORDER BY id')).rows.map((r) => r.id);

  /** The runner's pg client and a count of the round trips (ReadyForQuery messages) it makes from now on. */
  async function connected(runner: QueryRunner) {
    const client = (await runner.connect()) as Client & {
      connection: { on(event: 'readyForQuery', listener: () => void): void };
    };
    const trips = { count: 0 };
    client.connection.on('readyForQuery', () => (trips.count += 1));
    return { client, trips };
  }

  it('given a transaction whose first statement fails, when it rolls back, then nothing was written, the error names the statement, and the connection goes on', async () => {
    await dataSource.query(`INSERT INTO probe VALUES (1, 'before')`);
    const insert = `INSERT INTO probe VALUES (2, 'new'), (1, 'duplicate')`;

    const failure = await dataSource
      .transaction((manager) => manager.query(insert))
      .catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(QueryFailedError);
    expect((failure as QueryFailedError).query).toBe(insert);
    expect((failure as QueryFailedError).message).toMatch(/duplicate key value violates unique constraint/);
    expect(await committedIds()).toEqual([1]);
    // The same pooled client, outside any transaction: what it writes is committed at once.
    await dataSource.query(`INSERT INTO probe VALUES (3, 'after')`);
    expect(await committedIds()).toEqual([1, 3]);
  });

  it('given a transaction whose later statement fails, when it rolls back, then its first statement is undone too', async () => {
    const failure = await dataSource
      .transaction(async (manager) => {
        await manager.query(`INSERT INTO probe VALUES (1, 'first')`);
        await manager.query(`INSERT INTO probe VALUES (1, 'again')`);
      })
      .catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(QueryFailedError);
    expect(await committedIds()).toEqual([]);
  });

  it('given a transaction of one write, when it commits, then it took two round trips (the BEGIN rode with the write)', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      const { trips } = await connected(runner);

      await runner.startTransaction();
      await runner.query(`INSERT INTO probe VALUES ($1, $2)`, [1, 'one']);
      expect(await committedIds()).toEqual([]);
      await runner.commitTransaction();

      expect(trips.count).toBe(2);
      expect(await committedIds()).toEqual([1]);
    } finally {
      await runner.release();
    }
  });

  it('given an empty transaction, when it commits, then nothing reaches the server and the connection is idle', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      const { client, trips } = await connected(runner);

      await runner.startTransaction();
      await runner.commitTransaction();
      await runner.startTransaction();
      await runner.rollbackTransaction();

      expect(trips.count).toBe(0);
      // The next statement runs on its own, outside any transaction.
      expect(await runner.query(`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
      expect(trips.count).toBe(1);
      expect((client as unknown as { _txStatus: string })._txStatus).toBe('I');
    } finally {
      await runner.release();
    }
  });

  it('given two transactions that lock the same row, when the second asks for it, then it waits until the first commits', async () => {
    await dataSource.query(`INSERT INTO probe VALUES (1, 'initial')`);
    const pool = createDataSource(resources.databaseUrl, [], 2);
    await pool.initialize();
    const first = pool.createQueryRunner();
    const second = pool.createQueryRunner();
    try {
      await first.startTransaction();
      await first.query(`SELECT note FROM probe WHERE id = 1 FOR UPDATE`);
      const secondPid = ((await second.query('SELECT pg_backend_pid() AS pid')) as Array<{ pid: number }>)[0]!
        .pid;
      await second.startTransaction();
      const order: string[] = [];
      const secondRead = second
        .query(`SELECT note FROM probe WHERE id = 1 FOR UPDATE`)
        .then((rows: Array<{ note: string }>) => {
          order.push('second read');
          return rows;
        });

      await eventually(
        async () =>
          (await observer.query(`SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted`, [secondPid]))
            .rowCount === 1,
        { what: 'the second transaction waiting for the row lock' },
      );
      await first.query(`UPDATE probe SET note = 'by the first' WHERE id = 1`);
      order.push('first commit');
      await first.commitTransaction();
      const rows = await secondRead;
      await second.commitTransaction();

      expect(order).toEqual(['first commit', 'second read']);
      expect(rows).toEqual([{ note: 'by the first' }]);
    } finally {
      await first.release();
      await second.release();
      await destroyDataSource(pool);
    }
  });

  it('given a savepoint inside a transaction, when it is rolled back, then only its writes are undone', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      // The savepoint is the first statement: it rides with the BEGIN.
      await runner.startTransaction();
      await runner.startTransaction();
      await runner.query(`INSERT INTO probe VALUES (1, 'in the first savepoint')`);
      await runner.rollbackTransaction();
      await runner.query(`INSERT INTO probe VALUES (2, 'kept')`);
      await runner.startTransaction();
      await runner.query(`INSERT INTO probe VALUES (3, 'in the second savepoint')`);
      await runner.rollbackTransaction();
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }

    expect(await committedIds()).toEqual([2]);
  });

  it('given SET LOCAL or an isolation level as the first statement, when the transaction runs, then they hold inside it only', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction('SERIALIZABLE');
      await runner.query(`SET LOCAL statement_timeout = '4321ms'`);
      const inside = (await runner.query(
        `SELECT current_setting('transaction_isolation') AS isolation, current_setting('statement_timeout') AS timeout`,
      )) as unknown[];
      await runner.commitTransaction();
      const after = (await runner.query(
        `SELECT current_setting('statement_timeout') AS timeout`,
      )) as unknown[];

      expect(inside).toEqual([{ isolation: 'serializable', timeout: '4321ms' }]);
      expect(after).not.toEqual([{ timeout: '4321ms' }]);
    } finally {
      await runner.release();
    }
  });

  it('given statements without parameters first (LOCK, DDL, several in one text), when the transaction rolls back, then none of them remains', async () => {
    const runner = dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      await runner.query(`LOCK TABLE probe IN EXCLUSIVE MODE`);
      await runner.query(`CREATE TABLE scratch (id int)`);
      await runner.rollbackTransaction();

      await runner.startTransaction();
      await runner.query(`INSERT INTO probe VALUES (1, 'a'); INSERT INTO probe VALUES (2, 'b')`);
      await runner.rollbackTransaction();

      await runner.startTransaction();
      expect(await runner.query(`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }

    const scratch = await observer.query(`SELECT to_regclass('scratch') AS name`);
    expect(scratch.rows).toEqual([{ name: null }]);
    expect(await committedIds()).toEqual([]);
  });

  it('given a transaction left open with no statement, when its client returns to the pool, then the next user of that client is outside any transaction', async () => {
    const abandoned = dataSource.createQueryRunner();
    await abandoned.startTransaction();
    await abandoned.release();

    await dataSource.query(`INSERT INTO probe VALUES (1, 'autocommitted')`);

    expect(await committedIds()).toEqual([1]);
  });

  it('given a first statement waiting on a lock, when its connection breaks, then the statement fails instead of waiting', async () => {
    await dataSource.query(`INSERT INTO probe VALUES (1, 'locked')`);
    const breaking = createDataSource(resources.databaseUrl, [], 1);
    await breaking.initialize();
    const runner = breaking.createQueryRunner();
    await observer.query('BEGIN');
    try {
      await observer.query('SELECT 1 FROM probe WHERE id = 1 FOR UPDATE');
      const pid = ((await runner.query('SELECT pg_backend_pid() AS pid')) as Array<{ pid: number }>)[0]!.pid;
      await runner.startTransaction();
      const update = runner.query(`UPDATE probe SET note = 'lost' WHERE id = 1`).catch((err: unknown) => err);
      await eventually(
        async () =>
          (await observer.query(`SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted`, [pid])).rowCount,
        { what: 'the update waiting for the row lock' },
      );

      await observer.query('SELECT pg_terminate_backend($1)', [pid]);

      expect(await update).toBeInstanceOf(QueryFailedError);
      expect(String(await update)).toMatch(/terminat/i);
    } finally {
      await observer.query('ROLLBACK');
      await runner.release();
      await destroyDataSource(breaking);
    }
    expect((await observer.query('SELECT note FROM probe')).rows).toEqual([{ note: 'locked' }]);
  });
});
