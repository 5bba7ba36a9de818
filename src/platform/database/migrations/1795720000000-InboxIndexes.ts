import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox (`GET /api/tasks`) pages open tasks by `created_at, id` and counts them. With 100,000 open tasks the
 * old `(status, created_at)` index left the `id` tie-breaker to a sort of every open row and the count to a
 * heap scan; this partial index holds exactly the page order of open tasks, so the first page is read in
 * order and the count is an index-only scan.
 */
export class InboxIndexes1795720000000 implements MigrationInterface {
  name = 'InboxIndexes1795720000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE INDEX ix_user_task_open_page ON user_task (created_at, id) WHERE status = 'open'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS ix_user_task_open_page`);
  }
}
