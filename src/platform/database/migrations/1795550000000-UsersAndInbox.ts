import { MigrationInterface, QueryRunner } from 'typeorm';

export class UsersAndInbox1795550000000 implements MigrationInterface {
  name = 'UsersAndInbox1795550000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE app_user (
        id uuid PRIMARY KEY,
        username varchar(64) NOT NULL UNIQUE CHECK (username = lower(username)),
        display_name varchar(200) NOT NULL,
        email varchar(320),
        password_hash varchar(100) NOT NULL,
        roles text[] NOT NULL DEFAULT '{}',
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX ix_app_user_roles ON app_user USING gin (roles)`);
    await queryRunner.query(`ALTER TABLE user_task ADD COLUMN claimed_at timestamptz`);
    await queryRunner.query(
      `CREATE INDEX ix_user_task_assignee ON user_task (assignee) WHERE status = 'open'`,
    );
    await queryRunner.query(`CREATE INDEX ix_user_task_business_key ON user_task (business_key)`);
    await queryRunner.query(`CREATE INDEX ix_history_event_actor ON history_event (actor)`);
    await queryRunner.query(`
      ALTER TABLE release
        ADD COLUMN version_number varchar(64),
        ADD COLUMN planned_at timestamptz,
        ADD COLUMN installed_at timestamptz,
        ADD COLUMN rolled_back boolean NOT NULL DEFAULT false,
        ADD COLUMN search tsvector GENERATED ALWAYS AS (
          to_tsvector('simple', coalesce(number, '') || ' ' || coalesce(title, '') || ' ' ||
            coalesce(request->>'scope', '') || ' ' || coalesce(request->>'content', ''))
        ) STORED`);
    await queryRunner.query(`CREATE INDEX ix_release_search ON release USING gin (search)`);
    await queryRunner.query(`CREATE INDEX ix_release_class_created ON release (class, created_at)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX IF EXISTS ix_release_class_created`);
    await queryRunner.query(`DROP INDEX IF EXISTS ix_release_search`);
    await queryRunner.query(
      `ALTER TABLE release DROP COLUMN search, DROP COLUMN rolled_back, DROP COLUMN installed_at,
         DROP COLUMN planned_at, DROP COLUMN version_number`,
    );
    await queryRunner.query(`DROP INDEX IF EXISTS ix_history_event_actor`);
    await queryRunner.query(`DROP INDEX IF EXISTS ix_user_task_business_key`);
    await queryRunner.query(`DROP INDEX IF EXISTS ix_user_task_assignee`);
    await queryRunner.query(`ALTER TABLE user_task DROP COLUMN IF EXISTS claimed_at`);
    await queryRunner.query(`DROP TABLE IF EXISTS app_user`);
  }
}
