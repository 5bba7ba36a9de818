import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Timer start events: a definition version's schedule is a timer job that belongs to the version, not to an
 * instance (none runs yet). Written at deploy with the version, withdrawn when a newer version of the process is
 * deployed; its firing starts an instance and writes the next one of a cycle. Through the outbox like any timer.
 */
export class TimerStarts1795950000000 implements MigrationInterface {
  name = 'TimerStarts1795950000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE job
        ALTER COLUMN instance_id DROP NOT NULL,
        ADD COLUMN definition_id uuid REFERENCES process_definition (id),
        ADD CONSTRAINT ck_job_owner CHECK (instance_id IS NOT NULL OR definition_id IS NOT NULL)`);
    await queryRunner.query(
      `CREATE INDEX ix_job_definition_pending ON job (definition_id) WHERE definition_id IS NOT NULL AND status = 'pending'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_job_definition_pending`);
    const orphans = `SELECT id FROM job WHERE instance_id IS NULL`;
    await queryRunner.query(`DELETE FROM outbox WHERE job_id IN (${orphans})`);
    await queryRunner.query(`DELETE FROM job_effect WHERE job_id IN (${orphans})`);
    await queryRunner.query(`DELETE FROM job WHERE instance_id IS NULL`);
    await queryRunner.query(`
      ALTER TABLE job
        DROP CONSTRAINT ck_job_owner,
        DROP COLUMN definition_id,
        ALTER COLUMN instance_id SET NOT NULL`);
  }
}
