import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The waits for broadcast signals. A row exists while an instance waits in a signal catch or boundary event; it is
 * written and removed in the transaction that saves the instance's state. A broadcast triggers every row of its
 * name; signals are not buffered, so nothing else is stored.
 */
export class SignalSubscriptions1795840000000 implements MigrationInterface {
  name = 'SignalSubscriptions1795840000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE signal_subscription (
        id uuid PRIMARY KEY,
        instance_id uuid NOT NULL REFERENCES process_instance (id) ON DELETE CASCADE,
        element_id varchar(255) NOT NULL,
        execution_id varchar(255) NOT NULL,
        signal_name varchar(255) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ux_signal_subscription_wait UNIQUE (instance_id, execution_id)
      )`);
    // A broadcast walks the instances waiting for its name in instance order.
    await queryRunner.query(
      `CREATE INDEX ix_signal_subscription_name ON signal_subscription (signal_name, instance_id)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS signal_subscription`);
  }
}
