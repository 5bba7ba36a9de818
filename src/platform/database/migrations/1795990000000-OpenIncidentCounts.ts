import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each instance counts its open incidents (`open_incidents`), read with its locked row: a pass that leaves a wait
 * resolves the wait's incidents only when the count says there are some, so a pass without incidents costs no
 * statement more. Up counts the incidents open now; down drops the column.
 */
export class OpenIncidentCounts1795990000000 implements MigrationInterface {
  name = 'OpenIncidentCounts1795990000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE process_instance ADD COLUMN open_incidents int NOT NULL DEFAULT 0`);
    await queryRunner.query(`
      UPDATE process_instance i SET open_incidents = x.n
        FROM (SELECT instance_id, count(*)::int AS n FROM incident WHERE status = 'open' GROUP BY instance_id) x
       WHERE i.id = x.instance_id`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE process_instance DROP COLUMN open_incidents`);
  }
}
