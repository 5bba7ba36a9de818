import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox (`GET /api/tasks`) pages open tasks in a sort order with `created_at, id` as tie-breakers, and
 * counts them. At 100,000 open tasks the `(status, created_at)` index left the `id` tie-breaker, and any
 * sort by due date, to a sort of every matching row. These partial indexes hold open tasks in exactly the
 * page orders, so a page is read in order and stops at its limit, and the coordinator's count is an
 * index-only scan. Only open tasks are indexed: the completed ones, the bulk of the table over time, are
 * never listed by the inbox's default.
 */
export class InboxIndexes1795720000000 implements MigrationInterface {
  name = 'InboxIndexes1795720000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX ix_user_task_open_page ON user_task (created_at, id) WHERE status = 'open'`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_user_task_open_due ON user_task (due_at, created_at, id) WHERE status = 'open'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS ix_user_task_open_due`);
    await queryRunner.query(`DROP INDEX IF EXISTS ix_user_task_open_page`);
  }
}
