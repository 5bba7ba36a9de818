import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { lockForTransaction } from '../platform/database/advisory-lock.js';
import { DecisionDefinitionEntity, DecisionRequirementsEntity } from './decision-definition.entity.js';

/** The fields of a new version of a DMN file. */
export type NewRequirements = Pick<
  DecisionRequirementsEntity,
  'key' | 'version' | 'name' | 'checksum' | 'xml' | 'deployedBy' | 'deployedAt'
>;

/** The fields of a new decision version. */
export type NewDecision = Pick<
  DecisionDefinitionEntity,
  'key' | 'version' | 'name' | 'requirementsId' | 'checksum' | 'deployedBy' | 'deployedAt'
>;

/** A decision's latest version with the file it comes from (its id and key), without the XML. */
export interface DecisionSummary {
  readonly id: string;
  readonly key: string;
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly requirementsId: string;
  readonly requirementsKey: string;
  readonly requirementsVersion: number;
  readonly deployedBy: string | null;
  readonly deployedAt: Date;
}

const SUMMARY = `d.id, d.decision_key AS key, d.version, d.name, d.checksum, d.requirements_id AS "requirementsId",
  r.requirements_key AS "requirementsKey", r.version AS "requirementsVersion", d.deployed_by AS "deployedBy",
  d.deployed_at AS "deployedAt"`;

/** All SQL of decisions (`decision_requirements`, `decision_definition`). */
@Injectable()
export class DecisionRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Run `fn` in a transaction that holds the file's key and every decision key in it (`lockKeys`): one deployment
   * per key at a time keeps versions gapless.
   */
  async withKeysLocked<T>(
    requirementsKey: string,
    decisionKeys: readonly string[],
    fn: (manager: EntityManager) => Promise<T>,
    within?: EntityManager,
  ): Promise<T> {
    const locked = async (manager: EntityManager) => {
      await this.lockKeys([{ requirementsKey, decisionKeys }], manager);
      return fn(manager);
    };
    return within ? locked(within) : this.dataSource.transaction(locked);
  }

  /**
   * Hold the file keys and decision keys of DMN files for the rest of the caller's transaction. Every caller takes
   * them in this one order (sorted, each once), so two deployments sharing keys, in whatever files, never wait on
   * each other; taking a key again in the same transaction is free.
   */
  async lockKeys(
    files: ReadonlyArray<{ readonly requirementsKey: string; readonly decisionKeys: readonly string[] }>,
    manager: EntityManager,
  ): Promise<void> {
    const keys = files.flatMap((f) => [
      `decision-requirements:${f.requirementsKey}`,
      ...f.decisionKeys.map((k) => `decision:${k}`),
    ]);
    for (const key of [...new Set(keys)].sort()) await lockForTransaction(manager, key);
  }

  async latestRequirements(manager: EntityManager, key: string): Promise<DecisionRequirementsEntity | null> {
    return manager
      .getRepository(DecisionRequirementsEntity)
      .findOne({ where: { key }, order: { version: 'DESC' } });
  }

  async insertRequirements(
    manager: EntityManager,
    fields: NewRequirements,
  ): Promise<DecisionRequirementsEntity> {
    const repository = manager.getRepository(DecisionRequirementsEntity);
    const requirements = repository.create(fields);
    await repository.insert(requirements);
    return requirements;
  }

  /** The newest version of a decision; `manager`: the caller's transaction, when there is one. */
  async latest(
    key: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<DecisionDefinitionEntity | null> {
    return manager
      .getRepository(DecisionDefinitionEntity)
      .findOne({ where: { key }, order: { version: 'DESC' } });
  }

  async insert(manager: EntityManager, fields: NewDecision): Promise<DecisionDefinitionEntity> {
    const repository = manager.getRepository(DecisionDefinitionEntity);
    const decision = repository.create(fields);
    await repository.insert(decision);
    return decision;
  }

  /** The newest version of every decision. */
  async listLatest(): Promise<DecisionSummary[]> {
    return this.dataSource.query(
      `SELECT DISTINCT ON (d.decision_key) ${SUMMARY}
         FROM decision_definition d JOIN decision_requirements r ON r.id = d.requirements_id
        ORDER BY d.decision_key, d.version DESC`,
    );
  }

  /** Every version of a decision, newest first. */
  async versions(key: string): Promise<DecisionSummary[]> {
    return this.dataSource.query(
      `SELECT ${SUMMARY}
         FROM decision_definition d JOIN decision_requirements r ON r.id = d.requirements_id
        WHERE d.decision_key = $1 ORDER BY d.version DESC`,
      [key],
    );
  }

  async findVersion(key: string, version: number): Promise<DecisionDefinitionEntity | null> {
    return this.dataSource.getRepository(DecisionDefinitionEntity).findOneBy({ key, version });
  }

  async findRequirements(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<DecisionRequirementsEntity | null> {
    return manager.getRepository(DecisionRequirementsEntity).findOneBy({ id });
  }
}
