import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The signal names a definition's signal start events wait for, written at deploy: a broadcast starts an instance of
 * the latest version of each process listing its name.
 */
export class SignalStarts1795951000000 implements MigrationInterface {
  name = 'SignalStarts1795951000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE process_definition ADD COLUMN signal_starts text[] NOT NULL DEFAULT '{}'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE process_definition DROP COLUMN signal_starts`);
  }
}
