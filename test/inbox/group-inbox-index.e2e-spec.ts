import { OpenOfferedTasksByGroup1795960000000 } from '../../src/platform/database/migrations/1795960000000-OpenOfferedTasksByGroup';
import { VISIBLE_OPEN } from '../../src/tasks/task.repository';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * A group member's open inbox (migration 1795960000000): the tasks assigned to them or offered, unassigned, to one
 * of their groups are found through indexes (the open tasks' assignees, the unassigned open tasks' groups), not by
 * scanning the table until the count's cap is reached. The index comes with the schema on start and can be undone
 * and redone.
 */
describe('group inbox index', () => {
  let t: TestApp;
  const INDEX = 'ix_user_task_open_offered';

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function indexes(): Promise<string[]> {
    const rows: Array<{ indexname: string; indexdef: string }> = await t.dataSource.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'user_task' AND indexname = $1`,
      [INDEX],
    );
    for (const row of rows)
      expect(row.indexdef).toMatch(/status\)::text = 'open'::text\) AND \(assignee IS NULL/);
    return rows.map((r) => r.indexname);
  }

  /**
   * The plan of the inbox's count for a tester (the list's own visibility rule, capped as the list caps it) over a
   * table in use: 80,000 tasks, the older 60,000 completed, the newest 20,000 open, offered to eight groups, one in
   * ten assigned; then the rows go.
   */
  async function countPlan(): Promise<string> {
    const runner = t.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      // Rows of no instance: the foreign key is not what this is about.
      await runner.query('SET LOCAL session_replication_role = replica');
      await runner.query(
        `INSERT INTO user_task (id, instance_id, process_key, element_id, execution_id, candidate_groups, assignee,
                                status, completed_by, created_at)
         SELECT gen_random_uuid(), gen_random_uuid(), 'p', 'e', 'x' || i, ARRAY['group-' || (i % 8)],
                CASE WHEN i % 10 = 0 THEN 'user' || (i % 50) END,
                CASE WHEN i > 60000 THEN 'open' ELSE 'completed' END,
                CASE WHEN i <= 60000 THEN 'user' || (i % 50) END, now() - (80000 - i) * interval '1 minute'
           FROM generate_series(1, 80000) i`,
      );
      await runner.query('ANALYZE user_task');
      const visible = VISIBLE_OPEN.replaceAll(':me', `'user7'`).replaceAll(':roles', `'{group-3}'`);
      const rows: Array<{ 'QUERY PLAN': string }> = await runner.query(
        `EXPLAIN SELECT count(*) FROM (SELECT 1 FROM user_task t WHERE t.status = 'open' AND ${visible} LIMIT 1001) m`,
      );
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  it('given a booted service, then a group member inbox count reads the open tasks by assignee and by group', async () => {
    expect(await indexes()).toEqual([INDEX]);
    const plan = await countPlan();
    expect(plan).toContain(INDEX);
    expect(plan).toContain('ix_user_task_assignee');
    expect(plan).not.toMatch(/Seq Scan/);
  });

  it('when the migration is undone and redone, then its index goes and comes back', async () => {
    const migration = new OpenOfferedTasksByGroup1795960000000();
    const runner = t.dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      expect(await indexes()).toEqual([]);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    expect(await indexes()).toEqual([INDEX]);
    await t.as('test-team').get('/api/tasks').expect(200);
  });
});
