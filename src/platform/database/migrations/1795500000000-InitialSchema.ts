import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1795500000000 implements MigrationInterface {
  name = 'InitialSchema1795500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE process_definition (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        process_key varchar(255) NOT NULL,
        version int NOT NULL CHECK (version > 0),
        name varchar(255) NOT NULL,
        checksum char(64) NOT NULL,
        xml text NOT NULL,
        job_types text[] NOT NULL DEFAULT '{}',
        deployed_by varchar(255),
        deployed_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT uq_process_definition_version UNIQUE (process_key, version),
        CONSTRAINT uq_process_definition_checksum UNIQUE (process_key, checksum)
      )`);
    await queryRunner.query(`
      CREATE TABLE process_instance (
        id uuid PRIMARY KEY,
        definition_id uuid NOT NULL REFERENCES process_definition(id),
        process_key varchar(255) NOT NULL,
        business_key varchar(255),
        status varchar(16) NOT NULL CHECK (status IN ('running', 'completed', 'cancelled')),
        end_status varchar(32),
        engine_state jsonb,
        variables jsonb NOT NULL DEFAULT '{}',
        read_only_variables text[] NOT NULL DEFAULT '{}',
        revision int NOT NULL DEFAULT 0,
        started_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(`CREATE INDEX ix_process_instance_status ON process_instance (status)`);
    await queryRunner.query(
      `CREATE INDEX ix_process_instance_business_key ON process_instance (business_key)`,
    );
    await queryRunner.query(
      `CREATE INDEX ix_process_instance_definition ON process_instance (definition_id)`,
    );

    await queryRunner.query(`
      CREATE TABLE job (
        id uuid PRIMARY KEY,
        instance_id uuid NOT NULL REFERENCES process_instance(id),
        kind varchar(16) NOT NULL CHECK (kind IN ('service-task', 'timer')),
        job_type varchar(255) NOT NULL,
        element_id varchar(255) NOT NULL,
        execution_id varchar(255) NOT NULL,
        headers jsonb NOT NULL DEFAULT '{}',
        status varchar(16) NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'cancelled')),
        max_attempts int NOT NULL,
        attempts int NOT NULL DEFAULT 0,
        due_at timestamptz,
        result jsonb,
        error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        CONSTRAINT uq_job_execution UNIQUE (instance_id, execution_id, kind)
      )`);
    await queryRunner.query(`CREATE INDEX ix_job_instance_status ON job (instance_id, status)`);

    await queryRunner.query(`
      CREATE TABLE outbox (
        id uuid PRIMARY KEY,
        job_id uuid NOT NULL REFERENCES job(id),
        queue varchar(255) NOT NULL,
        due_at timestamptz,
        max_attempts int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        relayed_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE INDEX ix_outbox_unrelayed ON outbox (created_at) WHERE relayed_at IS NULL`,
    );
    await queryRunner.query(`CREATE INDEX ix_outbox_job ON outbox (job_id)`);

    await queryRunner.query(`
      CREATE TABLE incident (
        id uuid PRIMARY KEY,
        instance_id uuid NOT NULL REFERENCES process_instance(id),
        job_id uuid NOT NULL REFERENCES job(id),
        element_id varchar(255) NOT NULL,
        job_type varchar(255) NOT NULL,
        error text NOT NULL,
        attempts int NOT NULL,
        status varchar(16) NOT NULL CHECK (status IN ('open', 'resolved')),
        created_at timestamptz NOT NULL DEFAULT now(),
        resolved_at timestamptz,
        resolved_by varchar(255),
        comment text
      )`);
    await queryRunner.query(`CREATE INDEX ix_incident_status ON incident (status, created_at)`);
    await queryRunner.query(`CREATE INDEX ix_incident_instance ON incident (instance_id)`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX uq_incident_open_job ON incident (job_id) WHERE status = 'open'`,
    );

    await queryRunner.query(`
      CREATE TABLE history_event (
        id bigserial PRIMARY KEY,
        instance_id uuid NOT NULL REFERENCES process_instance(id),
        type varchar(64) NOT NULL,
        element_id varchar(255),
        element_name varchar(255),
        execution_id varchar(255),
        actor varchar(255),
        data jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await queryRunner.query(`CREATE INDEX ix_history_event_instance ON history_event (instance_id, id)`);

    await queryRunner.query(`
      CREATE TABLE user_task (
        id uuid PRIMARY KEY,
        instance_id uuid NOT NULL REFERENCES process_instance(id),
        process_key varchar(255) NOT NULL,
        business_key varchar(255),
        element_id varchar(255) NOT NULL,
        execution_id varchar(255) NOT NULL,
        name varchar(255),
        candidate_groups text[] NOT NULL DEFAULT '{}',
        form_key varchar(255),
        assignee varchar(255),
        status varchar(16) NOT NULL CHECK (status IN ('open', 'completed', 'cancelled')),
        priority int NOT NULL DEFAULT 50,
        due_at timestamptz,
        output jsonb,
        completed_by varchar(255),
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        CONSTRAINT uq_user_task_execution UNIQUE (instance_id, execution_id)
      )`);
    await queryRunner.query(`CREATE INDEX ix_user_task_open ON user_task (status, created_at)`);
    await queryRunner.query(`CREATE INDEX ix_user_task_groups ON user_task USING gin (candidate_groups)`);
    await queryRunner.query(`CREATE INDEX ix_user_task_instance ON user_task (instance_id)`);

    await queryRunner.query(`
      CREATE TABLE release (
        id uuid PRIMARY KEY,
        number varchar(32) NOT NULL UNIQUE,
        class varchar(16) NOT NULL CHECK (class IN ('standard', 'emergency', 'major')),
        source varchar(16) NOT NULL CHECK (source IN ('hardware', 'software', 'project-info', 'document', 'other')),
        title varchar(200) NOT NULL,
        status varchar(16) NOT NULL,
        instance_id uuid REFERENCES process_instance(id),
        request jsonb NOT NULL,
        created_by varchar(255),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz
      )`);
    await queryRunner.query(`CREATE INDEX ix_release_status ON release (status, created_at)`);
    await queryRunner.query(`CREATE INDEX ix_release_instance ON release (instance_id)`);
    await queryRunner.query(`
      CREATE TABLE release_number_counter (
        year int PRIMARY KEY,
        last_value int NOT NULL
      )`);

    await queryRunner.query(`
      CREATE TABLE job_effect (
        job_id uuid PRIMARY KEY REFERENCES job(id),
        job_type varchar(255) NOT NULL,
        instance_id uuid NOT NULL,
        element_id varchar(255) NOT NULL,
        request jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'job_effect',
      'release_number_counter',
      'release',
      'user_task',
      'history_event',
      'incident',
      'outbox',
      'job',
      'process_instance',
      'process_definition',
    ]) {
      await queryRunner.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
