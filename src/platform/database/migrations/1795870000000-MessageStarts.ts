import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The message names a definition's message start events wait for, written at deploy: a published message that no
 * waiting instance takes starts an instance of the latest version of each process listing its name.
 */
export class MessageStarts1795870000000 implements MigrationInterface {
  name = 'MessageStarts1795870000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE process_definition ADD COLUMN message_starts text[] NOT NULL DEFAULT '{}'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE process_definition DROP COLUMN message_starts`);
  }
}
