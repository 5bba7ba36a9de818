import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Messages published to the engine and the subscriptions that wait for them. A subscription row exists while an
 * instance waits in a message catch event or receive task; it is written and removed in the transaction that
 * saves the instance's state. A published message that finds no subscription is kept until its time to live ends
 * (`correlated_at` NULL); a correlated one is kept as the record of what was delivered, and for deduplication by
 * `message_id` within its time to live.
 */
export class Messages1795830000000 implements MigrationInterface {
  name = 'Messages1795830000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE message_subscription (
        id uuid PRIMARY KEY,
        instance_id uuid NOT NULL REFERENCES process_instance (id) ON DELETE CASCADE,
        element_id varchar(255) NOT NULL,
        execution_id varchar(255) NOT NULL,
        message_name varchar(255) NOT NULL,
        correlation_key varchar(255) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ux_message_subscription_wait UNIQUE (instance_id, execution_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX ix_message_subscription_key ON message_subscription (message_name, correlation_key, created_at)`,
    );
    await queryRunner.query(`
      CREATE TABLE message (
        id uuid PRIMARY KEY,
        name varchar(255) NOT NULL,
        correlation_key varchar(255) NOT NULL,
        message_id varchar(255),
        variables jsonb NOT NULL DEFAULT '{}',
        published_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        correlated_at timestamptz,
        instance_id uuid REFERENCES process_instance (id) ON DELETE SET NULL,
        element_id varchar(255)
      )`);
    await queryRunner.query(
      `CREATE INDEX ix_message_buffered ON message (name, correlation_key, published_at) WHERE correlated_at IS NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_message_id ON message (name, message_id) WHERE message_id IS NOT NULL`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE IF EXISTS message`);
    await queryRunner.query(`DROP TABLE IF EXISTS message_subscription`);
  }
}
