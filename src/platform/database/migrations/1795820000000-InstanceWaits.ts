import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The waits an instance stands in after its last pass (execution id, element, kind, job id), saved with its engine
 * state: the next pass diffs the engine's waits against them instead of reading the open tasks and pending jobs.
 * NULL for instances saved before this column: their first pass reads those rows once.
 */
export class InstanceWaits1795820000000 implements MigrationInterface {
  name = 'InstanceWaits1795820000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE process_instance ADD COLUMN waits jsonb`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE process_instance DROP COLUMN waits`);
  }
}
