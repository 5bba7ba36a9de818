import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The service tasks' own records: what a finished job handed back (so a redelivered job returns it unchanged),
 * the ledger of calls to peers (mail, webhooks, external CMDB, rollback hook), the built-in CMDB, the product
 * software library (PSL) and the generated reports.
 */
export class ServiceTaskWork1795600000000 implements MigrationInterface {
  name = 'ServiceTaskWork1795600000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE job_effect ADD COLUMN result jsonb`);

    await queryRunner.query(`
      CREATE TABLE outbound_delivery (
        id bigserial PRIMARY KEY,
        job_id uuid NOT NULL,
        job_type varchar(255) NOT NULL,
        release_id uuid,
        channel varchar(32) NOT NULL,
        target varchar(500) NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
        attempts int NOT NULL DEFAULT 0,
        request jsonb,
        response jsonb,
        error text,
        claimed_at timestamptz,
        sent_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (job_id, channel, target)
      )`);
    await queryRunner.query(
      `CREATE INDEX ix_outbound_delivery_release ON outbound_delivery (release_id, id)`,
    );

    await queryRunner.query(`
      CREATE TABLE cmdb_item (
        id uuid PRIMARY KEY,
        type varchar(64) NOT NULL,
        name varchar(200) NOT NULL UNIQUE,
        current_version varchar(64),
        owner varchar(255),
        attributes jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX ix_cmdb_item_type ON cmdb_item (type, name)`);
    await queryRunner.query(`
      CREATE TABLE cmdb_item_version (
        id bigserial PRIMARY KEY,
        item_id uuid NOT NULL REFERENCES cmdb_item(id),
        change varchar(16) NOT NULL CHECK (change IN ('build', 'install', 'rollback', 'manual')),
        version varchar(64),
        previous_version varchar(64),
        release_id uuid REFERENCES release(id),
        job_id uuid,
        actor varchar(255),
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    // One change per CI per job: a redelivered job finds its row and changes nothing.
    await queryRunner.query(
      `CREATE UNIQUE INDEX ux_cmdb_item_version_job ON cmdb_item_version (job_id, item_id) WHERE job_id IS NOT NULL`,
    );
    await queryRunner.query(`CREATE INDEX ix_cmdb_item_version_item ON cmdb_item_version (item_id, id)`);
    await queryRunner.query(`CREATE INDEX ix_cmdb_item_version_release ON cmdb_item_version (release_id)`);
    await queryRunner.query(`
      CREATE TABLE cmdb_relation (
        id bigserial PRIMARY KEY,
        source_id uuid NOT NULL REFERENCES cmdb_item(id),
        target_id uuid NOT NULL REFERENCES cmdb_item(id),
        type varchar(64) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (source_id, target_id, type),
        CHECK (source_id <> target_id)
      )`);
    await queryRunner.query(`CREATE INDEX ix_cmdb_relation_target ON cmdb_relation (target_id)`);
    await queryRunner.query(`
      CREATE TABLE cmdb_baseline (
        release_id uuid NOT NULL REFERENCES release(id),
        item_id uuid NOT NULL REFERENCES cmdb_item(id),
        version varchar(64),
        job_id uuid,
        captured_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (release_id, item_id)
      )`);

    await queryRunner.query(`
      CREATE TABLE psl_artifact (
        id uuid PRIMARY KEY,
        release_id uuid NOT NULL REFERENCES release(id),
        version varchar(64) NOT NULL,
        name varchar(255) NOT NULL,
        size bigint NOT NULL CHECK (size >= 0),
        sha256 char(64) NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        media_type varchar(255) NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('uploaded', 'archived')),
        uploaded_by varchar(255),
        uploaded_at timestamptz NOT NULL DEFAULT now(),
        archived_at timestamptz,
        archive_job_id uuid,
        UNIQUE (release_id, version, name)
      )`);
    await queryRunner.query(`CREATE INDEX ix_psl_artifact_sha256 ON psl_artifact (sha256)`);

    await queryRunner.query(`
      CREATE TABLE release_report (
        id uuid PRIMARY KEY,
        release_id uuid NOT NULL REFERENCES release(id),
        kind varchar(32) NOT NULL CHECK (kind IN ('release-report', 'delivery-list', 'assessment-report')),
        job_id uuid,
        markdown text NOT NULL,
        html text NOT NULL,
        generated_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX ux_release_report_job ON release_report (job_id, kind) WHERE job_id IS NOT NULL`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_release_report_latest ON release_report (release_id, kind, generated_at DESC)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'release_report',
      'psl_artifact',
      'cmdb_baseline',
      'cmdb_relation',
      'cmdb_item_version',
      'cmdb_item',
      'outbound_delivery',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
    await queryRunner.query(`ALTER TABLE job_effect DROP COLUMN IF EXISTS result`);
  }
}
