import { TaskListAndEscalation1795930000000 } from '../../src/platform/database/migrations/1795930000000-TaskListAndEscalation';
import { OpenTasksByPriorityDescending1795931000000 } from '../../src/platform/database/migrations/1795931000000-OpenTasksByPriorityDescending';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The task list's indexes and the escalation columns (migrations 1795930000000, 1795931000000): applied on
 * start, read in page order by the lists they are for ("completed by me" newest first, open tasks most urgent
 * first), and undone and redone cleanly.
 */
describe('task list indexes', () => {
  let t: TestApp;
  const INDEXES = ['ix_user_task_completed_by', 'ix_user_task_open_priority'];

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  async function indexes(): Promise<string[]> {
    const rows: Array<{ indexname: string }> = await t.dataSource.query(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'user_task' AND indexname = ANY($1) ORDER BY 1`,
      [INDEXES],
    );
    return rows.map((r) => r.indexname);
  }

  async function columns(): Promise<string[]> {
    const rows: Array<{ column: string }> = await t.dataSource.query(
      `SELECT table_name || '.' || column_name AS column FROM information_schema.columns
        WHERE column_name IN ('escalated_at', 'escalated_to') ORDER BY 1`,
    );
    return rows.map((r) => r.column);
  }

  /** The plan of a list query over 20,000 task rows (most completed, one in ten open), then the rows go. */
  async function plans(sqls: readonly string[]): Promise<string[]> {
    const runner = t.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      // Rows of no instance: the foreign key is not what this is about.
      await runner.query('SET LOCAL session_replication_role = replica');
      await runner.query(
        `INSERT INTO user_task (id, instance_id, process_key, element_id, execution_id, status, priority, created_at,
                                completed_by, completed_at)
         SELECT gen_random_uuid(), gen_random_uuid(), 'p', 'e', 'x' || i,
                CASE WHEN i % 10 = 0 THEN 'open' ELSE 'completed' END, (i * 7) % 101,
                now() - i * interval '1 minute', 'user' || (i % 50), now() - i * interval '1 minute'
           FROM generate_series(1, 20000) i`,
      );
      await runner.query('ANALYZE user_task');
      const result: string[] = [];
      for (const sql of sqls) {
        const rows: Array<{ 'QUERY PLAN': string }> = await runner.query(`EXPLAIN ${sql}`);
        result.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
      }
      return result;
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      await runner.release();
    }
  }

  it('given a booted service, then the lists read their indexes in page order', async () => {
    expect(await indexes()).toEqual(INDEXES);
    expect(await columns()).toEqual([
      'release.escalated_at',
      'user_task.escalated_at',
      'user_task.escalated_to',
    ]);
    const [byPriority, mine] = await plans([
      `SELECT id FROM user_task WHERE status = 'open' ORDER BY priority DESC NULLS LAST, created_at ASC, id ASC LIMIT 50`,
      `SELECT id FROM user_task WHERE status = 'completed' AND completed_by = 'user7' ORDER BY completed_at DESC LIMIT 50`,
    ]);
    // Most urgent first straight from the index: no sort of every open task.
    expect(byPriority).toContain('ix_user_task_open_priority');
    expect(byPriority).not.toMatch(/Sort/);
    expect(mine).toContain('ix_user_task_completed_by');
    expect(mine).not.toMatch(/Sort/);
  });

  it('when the migration is undone and redone, then its indexes and columns go and come back', async () => {
    const migrations = [
      new TaskListAndEscalation1795930000000(),
      new OpenTasksByPriorityDescending1795931000000(),
    ];
    const runner = t.dataSource.createQueryRunner();
    try {
      for (const migration of [...migrations].reverse()) await migration.down(runner);
      expect(await indexes()).toEqual([]);
      expect(await columns()).toEqual([]);
      for (const migration of migrations) await migration.up(runner);
    } finally {
      await runner.release();
    }
    expect(await indexes()).toEqual(INDEXES);
    await t
      .as('project-manager')
      .get('/api/tasks')
      .query({ completedBy: 'me', sort: '-priority' })
      .expect(200);
  });
});
