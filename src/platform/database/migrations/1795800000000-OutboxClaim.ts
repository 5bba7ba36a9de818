import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox sweep claims the messages it relays with a timestamp instead of holding their row locks while it
 * talks to Redis: another sweep passes over a claim until it is older than the lease (its sweeper died).
 */
export class OutboxClaim1795800000000 implements MigrationInterface {
  name = 'OutboxClaim1795800000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox ADD COLUMN claimed_at timestamptz`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE outbox DROP COLUMN IF EXISTS claimed_at`);
  }
}
