import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The correlation key of the message that started an instance at a message start event (Camunda 8): while such an
 * instance runs, a message with that key does not start another instance of its process. The unique index holds it
 * whatever races.
 */
export class MessageStartKeys1795952000000 implements MigrationInterface {
  name = 'MessageStartKeys1795952000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE process_instance ADD COLUMN start_correlation_key varchar(255)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_process_instance_running_start_key ON process_instance (process_key, start_correlation_key)
        WHERE status = 'running' AND start_correlation_key IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX uq_process_instance_running_start_key`);
    await queryRunner.query(`ALTER TABLE process_instance DROP COLUMN start_correlation_key`);
  }
}
