import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Camunda Forms deployed and versioned by form id like processes; a user task records the form version it was
 * created with (the latest at that time), so its completion is checked against that version.
 */
export class FormDefinitions1795939100000 implements MigrationInterface {
  name = 'FormDefinitions1795939100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE form_definition (
         id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
         form_id varchar(255) NOT NULL,
         version int NOT NULL,
         name varchar(255) NOT NULL,
         checksum char(64) NOT NULL,
         schema jsonb NOT NULL,
         deployed_by varchar(255),
         deployed_at timestamptz NOT NULL DEFAULT now(),
         CONSTRAINT form_definition_version_unique UNIQUE (form_id, version)
       )`,
    );
    await queryRunner.query(`ALTER TABLE user_task ADD COLUMN form_version int`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE user_task DROP COLUMN form_version`);
    await queryRunner.query(`DROP TABLE form_definition`);
  }
}
