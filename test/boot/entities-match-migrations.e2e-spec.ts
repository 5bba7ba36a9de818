import { createDataSource, ensureDatabase, migrate } from '../../src/platform/database/data-source';
import { ENTITIES } from '../../src/worker.module';
import { excusingOverlaps } from '../support/pg-overlap-guard';
import { dropTestResources, newTestResources, withTestDatabase } from '../support/test-env';

/**
 * The schema comes only from migrations; the entities map it. An entity changed without a migration (a new
 * column, another type, another default) shows as a statement TypeORM would run to make the database fit the
 * entities. Some differences are by design: checks, unique constraints and indexes are declared in the
 * migrations alone, and two columns are read only by SQL of their repositories.
 */
describe('the entities and the migrations', () => {
  const resources = newTestResources();
  afterAll(() => dropTestResources(resources));

  /** Columns the migrations make that no entity maps: their repositories read them with SQL. */
  const UNMAPPED_COLUMNS = [
    'ALTER TABLE "job_effect" DROP COLUMN "result"', // the handler's result, kept for a replayed job
    'ALTER TABLE "release" DROP COLUMN "search"', // the generated search text of the releases list
  ];
  const declaredInMigrationsOnly = (sql: string) =>
    /DROP CONSTRAINT|DROP INDEX|"typeorm_metadata"/.test(sql) || UNMAPPED_COLUMNS.includes(sql);

  it('given a database migrated from scratch, when the entities are compared with it, then nothing but what only migrations declare differs', async () => {
    const pending = await withTestDatabase(resources, async () => {
      await ensureDatabase(resources.databaseUrl);
      const dataSource = createDataSource(resources.databaseUrl, ENTITIES, 1);
      await dataSource.initialize();
      try {
        await migrate(dataSource);
        // TypeORM's own table for generated columns, which its comparison reads; the migrations make none.
        await dataSource.query(
          `CREATE TABLE IF NOT EXISTS typeorm_metadata (type varchar NOT NULL, database varchar, schema varchar,
             "table" varchar, name varchar, value text)`,
        );
        const { upQueries } = await excusingOverlaps(() => dataSource.driver.createSchemaBuilder().log());
        return upQueries.map((q) => q.query);
      } finally {
        await dataSource.destroy();
      }
    });

    expect(pending.filter((sql) => !declaredInMigrationsOnly(sql))).toEqual([]);
    // The comparison ran: the checks the migrations declare are among what it would drop.
    expect(pending).toContain('ALTER TABLE "incident" DROP CONSTRAINT "ck_incident_job_or_execution"');
  });
});
