import { InboxIndexes1795720000000 } from '../../src/platform/database/migrations/1795720000000-InboxIndexes';
import { startTestApp, type TestApp } from '../support/test-app';
import { MINIMAL_REQUEST, ReleaseDriver, type Task } from '../support/release-driver';

/**
 * The inbox index (migration 1795720000000): open tasks held in the by-due-date page order. The migration comes
 * with the schema on start, can be undone and redone, and changes no answer of the inbox.
 */
describe('inbox indexes', () => {
  let t: TestApp;
  let driver: ReleaseDriver;
  const INDEXES = ['ix_user_task_open_due'];

  beforeAll(async () => {
    t = await startTestApp();
    driver = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
  });
  afterAll(() => t.close());

  async function inboxIndexes(): Promise<string[]> {
    const rows: Array<{ indexname: string; indexdef: string }> = await t.dataSource.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'user_task' AND indexname = ANY($1) ORDER BY 1`,
      [INDEXES],
    );
    for (const row of rows) expect(row.indexdef).toMatch(/WHERE \(\(status\)::text = 'open'::text\)/);
    return rows.map((r) => r.indexname);
  }

  async function pages(): Promise<string[][]> {
    const ids = async (query: Record<string, string>) =>
      (
        await driver.get<{ items: Task[] }>('/api/tasks', 'project-manager', { pageSize: 2, ...query })
      ).items.map((task) => task.id);
    return [await ids({}), await ids({ sort: 'dueAt' }), await ids({ sort: 'dueAt', page: '2' })];
  }

  it('is applied on start, and down then up leaves the same inbox answers', async () => {
    // given: a booted service with a few open tasks
    expect(await inboxIndexes()).toEqual(INDEXES);
    for (let i = 0; i < 3; i++) {
      const release = await driver.file('standard', { title: `release ${i}` });
      await driver.task(release.id, 'assess-request');
    }
    const before = await pages();
    expect(before[0]).toHaveLength(2);

    // when: the migration is undone
    const migration = new InboxIndexes1795720000000();
    const runner = t.dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      // then: the index is gone and the inbox answers as before
      expect(await inboxIndexes()).toEqual([]);
      expect(await pages()).toEqual(before);

      // when: it is done again
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    // then: the index is back
    expect(await inboxIndexes()).toEqual(INDEXES);
    expect(await pages()).toEqual(before);
  });
});
