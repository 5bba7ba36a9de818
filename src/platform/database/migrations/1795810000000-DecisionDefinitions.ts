import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deployed DMN files and their decisions, versioned like processes. A file (its definitions element, the decision
 * requirements graph) is stored once per version in `decision_requirements`; each decision in it is a row of
 * `decision_definition` keyed by the decision id, pointing at the file it is evaluated from (required decisions
 * come from the same file). Own tables rather than rows of `process_definition`: a decision has no instances,
 * job types or process key, and every query of the process tables would have to leave decisions out.
 */
export class DecisionDefinitions1795810000000 implements MigrationInterface {
  name = 'DecisionDefinitions1795810000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE decision_requirements (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        requirements_key varchar(255) NOT NULL,
        version int NOT NULL CHECK (version > 0),
        name varchar(255) NOT NULL,
        checksum char(64) NOT NULL,
        xml text NOT NULL,
        deployed_by varchar(255),
        deployed_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_decision_requirements_version UNIQUE (requirements_key, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE decision_definition (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        decision_key varchar(255) NOT NULL,
        version int NOT NULL CHECK (version > 0),
        name varchar(255) NOT NULL,
        requirements_id uuid NOT NULL REFERENCES decision_requirements(id),
        checksum char(64) NOT NULL,
        deployed_by varchar(255),
        deployed_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_decision_definition_version UNIQUE (decision_key, version)
      )`);
    await queryRunner.query(
      `CREATE INDEX ix_decision_definition_requirements ON decision_definition (requirements_id)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE decision_definition`);
    await queryRunner.query(`DROP TABLE decision_requirements`);
  }
}
