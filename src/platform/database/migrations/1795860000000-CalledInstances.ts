import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A call activity's child instance knows its parent and the wait it completes there: the child's end completes
 * the parent's call activity, and cancelling the parent (or leaving the call activity) cancels the child.
 */
export class CalledInstances1795860000000 implements MigrationInterface {
  name = 'CalledInstances1795860000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE process_instance
        ADD COLUMN parent_instance_id uuid REFERENCES process_instance (id) ON DELETE SET NULL,
        ADD COLUMN parent_execution_id varchar(255)`);
    await queryRunner.query(
      `CREATE INDEX ix_process_instance_parent ON process_instance (parent_instance_id) WHERE parent_instance_id IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS ix_process_instance_parent`);
    await queryRunner.query(
      `ALTER TABLE process_instance DROP COLUMN parent_execution_id, DROP COLUMN parent_instance_id`,
    );
  }
}
