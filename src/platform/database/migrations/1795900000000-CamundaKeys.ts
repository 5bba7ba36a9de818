import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The Camunda 8 REST API names everything by an int64 key; this service by UUIDs (and a variable by its instance and
 * name). One table maps each thing, by kind and reference, to a key from a sequence, on first sight: looked up by
 * key (the primary key) and by kind and reference (the unique index). The sequence starts where Zeebe's keys of
 * partition 1 start, so keys look as Camunda's clients expect.
 */
export class CamundaKeys1795900000000 implements MigrationInterface {
  name = 'CamundaKeys1795900000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE camunda_key_seq START WITH 2251799813685249`);
    await queryRunner.query(
      `CREATE TABLE camunda_key (
         key bigint PRIMARY KEY DEFAULT nextval('camunda_key_seq'),
         kind varchar(32) NOT NULL,
         ref varchar(600) NOT NULL,
         CONSTRAINT camunda_key_kind_ref UNIQUE (kind, ref)
       )`,
    );
    await queryRunner.query(`ALTER SEQUENCE camunda_key_seq OWNED BY camunda_key.key`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE camunda_key`);
  }
}
