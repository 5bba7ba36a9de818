import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Jobs worked by software outside the service (POST /api/jobs/activate): the worker holding a job and until when
 * (its lease), and when a job a worker failed with retries left may be activated again. Camunda's "retries" is
 * not a column: it is max_attempts - attempts (a failure counts an attempt and sets max_attempts to leave the
 * retries the worker asked for).
 */
export class ExternalJobLeases1795850000000 implements MigrationInterface {
  name = 'ExternalJobLeases1795850000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE job
        ADD COLUMN worker varchar(255) NULL,
        ADD COLUMN lease_until timestamptz NULL,
        ADD COLUMN retry_at timestamptz NULL`);
    // Activation reads the oldest pending jobs of one type; finished jobs (the bulk of the table) stay out of it.
    await queryRunner.query(
      `CREATE INDEX ix_job_activatable ON job (job_type, created_at) WHERE status = 'pending'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS ix_job_activatable`);
    await queryRunner.query(`
      ALTER TABLE job
        DROP COLUMN IF EXISTS retry_at,
        DROP COLUMN IF EXISTS lease_until,
        DROP COLUMN IF EXISTS worker`);
  }
}
