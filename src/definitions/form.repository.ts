import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { lockForTransaction } from '../platform/database/advisory-lock.js';
import { FormDefinitionEntity } from './form-definition.entity.js';

/** A form version without its schema, as lists show it. */
export type FormVersionSummary = Pick<
  FormDefinitionEntity,
  'id' | 'formId' | 'version' | 'name' | 'checksum' | 'deployedBy' | 'deployedAt'
>;

/**
 * SQL of the latest deployed version of the form id bound as `parameter` (`$3`; NULL when none is): a task's insert
 * links it in the same statement, so creating a task reads no form row.
 */
export function latestFormVersionSql(parameter: string): string {
  return `(SELECT max(version) FROM form_definition WHERE form_id = ${parameter})`;
}

/** All SQL of deployed forms (`form_definition`). */
@Injectable()
export class FormRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Run `fn` in a transaction holding the form id: one deployment per form id at a time. `manager`: an enclosing
   * deployment's transaction (the lock is then held until it ends).
   */
  async withFormIdLocked<T>(
    formId: string,
    fn: (manager: EntityManager) => Promise<T>,
    manager?: EntityManager,
  ): Promise<T> {
    const run = async (m: EntityManager) => {
      await lockForTransaction(m, `form-definition:${formId}`);
      return fn(m);
    };
    return manager ? run(manager) : this.dataSource.transaction(run);
  }

  async latest(formId: string, manager: EntityManager = this.dataSource.manager) {
    return manager
      .getRepository(FormDefinitionEntity)
      .findOne({ where: { formId }, order: { version: 'DESC' } });
  }

  async insert(
    manager: EntityManager,
    fields: Omit<FormDefinitionEntity, 'id'>,
  ): Promise<FormDefinitionEntity> {
    const repository = manager.getRepository(FormDefinitionEntity);
    const row = repository.create(fields);
    await repository.insert(row as never);
    return row;
  }

  /** The latest version number of each of these form ids that is deployed. */
  async latestVersions(
    manager: EntityManager | undefined,
    formIds: readonly string[],
  ): Promise<Map<string, number>> {
    if (formIds.length === 0) return new Map();
    const rows: Array<{ formId: string; version: number }> = await (manager ?? this.dataSource.manager).query(
      `SELECT form_id AS "formId", max(version)::int AS version FROM form_definition
        WHERE form_id = ANY($1) GROUP BY form_id`,
      [[...new Set(formIds)]],
    );
    return new Map(rows.map((r) => [r.formId, r.version]));
  }

  /** Every deployed form id. */
  async formIds(manager: EntityManager = this.dataSource.manager): Promise<Set<string>> {
    const rows: Array<{ formId: string }> = await manager.query(
      `SELECT DISTINCT form_id AS "formId" FROM form_definition`,
    );
    return new Set(rows.map((r) => r.formId));
  }

  async findVersion(
    formId: string,
    version: number,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<FormDefinitionEntity | null> {
    return manager.getRepository(FormDefinitionEntity).findOneBy({ formId, version });
  }

  /** The newest version of every form, without the schema. */
  async listLatest(): Promise<FormVersionSummary[]> {
    return this.dataSource.query(
      `SELECT DISTINCT ON (form_id) id, form_id AS "formId", version, name, checksum, deployed_by AS "deployedBy",
              deployed_at AS "deployedAt"
         FROM form_definition ORDER BY form_id, version DESC`,
    );
  }

  async versions(formId: string): Promise<FormVersionSummary[]> {
    return this.dataSource.query(
      `SELECT id, form_id AS "formId", version, name, checksum, deployed_by AS "deployedBy", deployed_at AS "deployedAt"
         FROM form_definition WHERE form_id = $1 ORDER BY version DESC`,
      [formId],
    );
  }
}
