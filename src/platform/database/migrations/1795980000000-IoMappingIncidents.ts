import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Incidents name their kind as Camunda 8 does (`error_type`): a job without retries, a gateway with no way on, and
 * now an output mapping that failed on a completion. Such a completion is taken, the element waits, and the
 * incident keeps the completion's variables (`completion`) to apply the output mappings to again when it is
 * resolved. Down drops those incidents and the two columns.
 */
export class IoMappingIncidents1795980000000 implements MigrationInterface {
  name = 'IoMappingIncidents1795980000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE incident
        ADD COLUMN error_type varchar(32) NOT NULL DEFAULT 'JOB_NO_RETRIES',
        ADD COLUMN completion jsonb`);
    await queryRunner.query(`UPDATE incident SET error_type = 'CONDITION_ERROR' WHERE job_id IS NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM incident WHERE error_type = 'IO_MAPPING_ERROR'`);
    await queryRunner.query(`ALTER TABLE incident DROP COLUMN completion, DROP COLUMN error_type`);
  }
}
