import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Incidents that are not a job's: an exclusive or inclusive gateway that finds no outgoing flow to take waits
 * with an incident (Camunda 8) instead of failing the command that reached it. Such an incident has no job and
 * names the waiting execution, which its resolution signals to evaluate the gateway again. Down drops them.
 */
export class ElementIncidents1795970000000 implements MigrationInterface {
  name = 'ElementIncidents1795970000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE incident
        ALTER COLUMN job_id DROP NOT NULL,
        ALTER COLUMN job_type DROP NOT NULL,
        ADD COLUMN execution_id varchar(255),
        ADD CONSTRAINT ck_incident_job_or_execution CHECK (job_id IS NOT NULL OR execution_id IS NOT NULL)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM incident WHERE job_id IS NULL`);
    await queryRunner.query(`
      ALTER TABLE incident
        DROP CONSTRAINT ck_incident_job_or_execution,
        DROP COLUMN execution_id,
        ALTER COLUMN job_id SET NOT NULL,
        ALTER COLUMN job_type SET NOT NULL`);
  }
}
