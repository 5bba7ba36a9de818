import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { lockForTransaction } from '../platform/database/advisory-lock.js';
import { orderBySql, orderTerms, type SortKey } from '../platform/database/sort.js';
import { ProcessDefinitionEntity } from './process-definition.entity.js';

/** A definition version with what runs on it. */
export interface DefinitionVersion {
  readonly id: string;
  readonly key: string;
  readonly version: number;
  readonly name: string;
  readonly checksum: string;
  readonly deployedBy: string | null;
  readonly deployedAt: Date;
  readonly runningInstances: number;
  readonly instances: number;
  /** Numbers of the releases still running on this version (the first 100). */
  readonly runningReleases: string[];
}

/** The fields of a new definition version. */
/** What a definition search matches: every field given; `latestOnly` keeps each process's latest version. */
export interface DefinitionSearch {
  readonly id?: string;
  readonly key?: string;
  readonly name?: string;
  readonly version?: number;
  readonly latestOnly: boolean;
}

/** The fields a definition search sorts by. */
export type DefinitionSortField = 'key' | 'name' | 'resourceName' | 'version';
const DEFINITION_SORT_COLUMNS: Record<DefinitionSortField, string> = {
  key: 'd.process_key',
  name: 'd.name',
  resourceName: "d.process_key || '.bpmn'",
  version: 'd.version',
};
/** Without a sort: by process, the newest version first. */
const BY_PROCESS: ReadonlyArray<SortKey<DefinitionSortField>> = [
  { field: 'key', descending: false },
  { field: 'version', descending: true },
];

export type NewDefinition = Pick<
  ProcessDefinitionEntity,
  | 'key'
  | 'version'
  | 'name'
  | 'checksum'
  | 'xml'
  | 'jobTypes'
  | 'messageStarts'
  | 'signalStarts'
  | 'deployedBy'
  | 'deployedAt'
>;

/** All SQL of process definitions (`process_definition`). */
@Injectable()
export class DefinitionRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /**
   * Hold process keys for the rest of the caller's transaction: one deployment per key at a time. Every caller takes
   * them in this one order (sorted, each once), so two deployments sharing keys never wait on each other; taking a
   * key again in the same transaction is free.
   */
  async lockKeys(keys: readonly string[], manager: EntityManager): Promise<void> {
    for (const key of [...new Set(keys)].sort())
      await lockForTransaction(manager, `process-definition:${key}`);
  }

  /** One transaction for several deployments: all are stored, or none. */
  async transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(fn);
  }

  async findByChecksum(
    manager: EntityManager,
    key: string,
    checksum: string,
  ): Promise<ProcessDefinitionEntity | null> {
    return manager.getRepository(ProcessDefinitionEntity).findOneBy({ key, checksum });
  }

  /** The latest version of every process that a message of this name starts (a message start event waits for it). */
  async startedByMessage(
    name: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Array<Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>>> {
    return this.latestStartedBy('message_starts', name, manager);
  }

  /** The latest version of every process that a broadcast of this signal starts (a signal start event waits for it). */
  async startedBySignal(
    name: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<Array<Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>>> {
    return this.latestStartedBy('signal_starts', name, manager);
  }

  /** The latest version of every process whose start events of one kind (the column listing their names) take `name`. */
  private async latestStartedBy(
    starts: 'message_starts' | 'signal_starts',
    name: string,
    manager: EntityManager,
  ): Promise<Array<Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version'>>> {
    return manager.query(
      `SELECT id, key, version FROM (
         SELECT DISTINCT ON (process_key) id, process_key AS key, version, ${starts} AS starts
           FROM process_definition ORDER BY process_key, version DESC) latest
        WHERE $1 = ANY(starts) ORDER BY key`,
      [name],
    );
  }

  /** The latest version of a process, without its XML. */
  async latest(
    key: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ProcessDefinitionEntity | null> {
    // Every column but the source: a start reads this, and the BPMN may be megabytes.
    return manager.getRepository(ProcessDefinitionEntity).findOne({
      select: {
        id: true,
        key: true,
        version: true,
        name: true,
        checksum: true,
        jobTypes: true,
        messageStarts: true,
        deployedBy: true,
        deployedAt: true,
      },
      where: { key },
      order: { version: 'DESC' },
    });
  }

  async insert(manager: EntityManager, fields: NewDefinition): Promise<ProcessDefinitionEntity> {
    const repository = manager.getRepository(ProcessDefinitionEntity);
    const definition = repository.create(fields);
    await repository.insert(definition);
    return definition;
  }

  /** The newest version of every key, without the XML. */
  async listLatest(): Promise<ProcessDefinitionEntity[]> {
    return this.dataSource.query(
      `SELECT DISTINCT ON (process_key) id, process_key AS key, version, name, checksum, job_types AS "jobTypes",
              deployed_by AS "deployedBy", deployed_at AS "deployedAt"
         FROM process_definition ORDER BY process_key, version DESC`,
    );
  }

  /**
   * The definitions matching `filter` in the order of `sort` (none: by process, newest version first), ties by id,
   * `limit` of them from the `offset`-th, and how many match in all.
   */
  async search(
    filter: DefinitionSearch,
    sort: ReadonlyArray<SortKey<DefinitionSortField>>,
    window: { offset: number; limit: number },
  ): Promise<{
    items: Array<Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version' | 'name'>>;
    total: number;
  }> {
    const parameters: unknown[] = [];
    const bind = (value: unknown) => `$${parameters.push(value)}`;
    const where: string[] = [];
    if (filter.id !== undefined) where.push(`d.id = ${bind(filter.id)}::uuid`);
    if (filter.key !== undefined) where.push(`d.process_key = ${bind(filter.key)}`);
    if (filter.name !== undefined) where.push(`d.name = ${bind(filter.name)}`);
    if (filter.version !== undefined) where.push(`d.version = ${bind(filter.version)}`);
    if (filter.latestOnly) {
      where.push(
        'd.version = (SELECT max(latest.version) FROM process_definition latest WHERE latest.process_key = d.process_key)',
      );
    }
    const order = orderBySql(
      orderTerms(sort.length > 0 ? sort : BY_PROCESS, DEFINITION_SORT_COLUMNS, ['d.id']),
    );
    const rows: Array<Pick<ProcessDefinitionEntity, 'id' | 'key' | 'version' | 'name'> & { total: number }> =
      await this.dataSource.query(
        `SELECT d.id, d.process_key AS key, d.version, d.name, count(*) OVER ()::int AS total
           FROM process_definition d ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY ${order} LIMIT ${bind(window.limit)} OFFSET ${bind(window.offset)}`,
        parameters,
      );
    let total = rows[0]?.total;
    if (total === undefined) {
      // A page past the end: the count alone.
      const counted: Array<{ n: number }> = await this.dataSource.query(
        `SELECT count(*)::int AS n FROM process_definition d ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}`,
        parameters.slice(0, -2),
      );
      total = counted[0]?.n ?? 0;
    }
    return { items: rows.map(({ id, key, version, name }) => ({ id, key, version, name })), total };
  }

  /** Every version of a key, newest first, with the instances and releases on each. */
  async versionsWithUse(key: string): Promise<DefinitionVersion[]> {
    return this.dataSource.query(
      `SELECT d.id, d.process_key AS key, d.version, d.name, d.checksum, d.deployed_by AS "deployedBy",
              d.deployed_at AS "deployedAt",
              count(i.id) FILTER (WHERE i.status = 'running')::int AS "runningInstances",
              count(i.id)::int AS instances,
              coalesce((array_agg(r.number ORDER BY r.number) FILTER (WHERE i.status = 'running' AND r.number IS NOT NULL))[1:100],
                       '{}') AS "runningReleases"
         FROM process_definition d
         LEFT JOIN process_instance i ON i.definition_id = d.id
         LEFT JOIN release r ON r.instance_id = i.id
        WHERE d.process_key = $1
        GROUP BY d.id ORDER BY d.version DESC`,
      [key],
    );
  }

  async findVersion(key: string, version: number): Promise<ProcessDefinitionEntity | null> {
    return this.dataSource.getRepository(ProcessDefinitionEntity).findOneBy({ key, version });
  }

  async findById(
    id: string,
    manager: EntityManager = this.dataSource.manager,
  ): Promise<ProcessDefinitionEntity | null> {
    return manager.getRepository(ProcessDefinitionEntity).findOneBy({ id });
  }
}
