import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The task list's filters and marks, and escalation.
 * - `user_task.escalated_at`, `escalated_to`: when a task's time ran out and to which group it went; the
 *   release record carries `escalated_at` too, so the record shows it.
 * - "Completed by me" lists a user's completed tasks newest first: an index on (completed_by, completed_at)
 *   of completed rows keeps it a range scan however many tasks the table holds.
 * - Open tasks by priority (`sort=-priority`, `minPriority`): an index in that order over open rows, as
 *   `ix_user_task_open_due` does for the due date.
 */
export class TaskListAndEscalation1795930000000 implements MigrationInterface {
  name = 'TaskListAndEscalation1795930000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE user_task ADD COLUMN escalated_at timestamptz, ADD COLUMN escalated_to varchar(100)`,
    );
    await queryRunner.query(`ALTER TABLE release ADD COLUMN escalated_at timestamptz`);
    await queryRunner.query(
      `CREATE INDEX ix_user_task_completed_by ON user_task (completed_by, completed_at DESC) WHERE status = 'completed'`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_user_task_open_priority ON user_task (priority, created_at, id) WHERE status = 'open'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS ix_user_task_open_priority`);
    await queryRunner.query(`DROP INDEX IF EXISTS ix_user_task_completed_by`);
    await queryRunner.query(`ALTER TABLE release DROP COLUMN IF EXISTS escalated_at`);
    await queryRunner.query(
      `ALTER TABLE user_task DROP COLUMN IF EXISTS escalated_at, DROP COLUMN IF EXISTS escalated_to`,
    );
  }
}
