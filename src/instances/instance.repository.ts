import type { JsonObject } from '../platform/json.js';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { HistoryEventEntity } from './history-event.entity.js';
import { IncidentEntity } from './incident.entity.js';
import { ProcessInstanceEntity } from './process-instance.entity.js';

export interface HistoryRecord {
  readonly type: string;
  readonly elementId?: string | null;
  readonly elementName?: string | null;
  readonly executionId?: string | null;
  readonly actor?: string | null;
  readonly data?: JsonObject | null;
}

/** How many instances of a process and release class are in a status. */
export interface InstanceCount {
  readonly process: string;
  readonly class: string;
  readonly status: string;
  readonly n: number;
}

/** How many incidents of a job type are open for a process and release class. */
export interface IncidentCount {
  readonly process: string;
  readonly class: string;
  readonly jobType: string;
  readonly n: number;
}

/** All database work of the instance service; every method runs inside the caller's transaction. */
export class InstanceRepository {
  /** Take the instance's row lock: no other process advances it until this transaction ends. */
  async lock(manager: EntityManager, instanceId: string): Promise<ProcessInstanceEntity | null> {
    return manager
      .getRepository(ProcessInstanceEntity)
      .createQueryBuilder('i')
      .setLock('pessimistic_write')
      .where('i.id = :instanceId', { instanceId })
      .getOne();
  }

  /**
   * Take the row lock of a job's instance in one statement; null when the job or its instance does not exist. A job
   * never changes instance, so reading its instance id from the statement's snapshot is safe.
   */
  async lockOfJob(manager: EntityManager, jobId: string): Promise<ProcessInstanceEntity | null> {
    return manager
      .getRepository(ProcessInstanceEntity)
      .createQueryBuilder('i')
      .setLock('pessimistic_write')
      .where('i.id = (SELECT j.instance_id FROM job j WHERE j.id = :jobId)', { jobId })
      .getOne();
  }

  /** Read without a lock. */
  async find(manager: EntityManager, instanceId: string): Promise<ProcessInstanceEntity | null> {
    return manager.getRepository(ProcessInstanceEntity).findOneBy({ id: instanceId });
  }

  async insertInstance(manager: EntityManager, instance: ProcessInstanceEntity): Promise<void> {
    await manager.getRepository(ProcessInstanceEntity).insert(instance);
  }

  async saveInstance(manager: EntityManager, instance: ProcessInstanceEntity): Promise<void> {
    await manager.getRepository(ProcessInstanceEntity).update(
      { id: instance.id },
      {
        status: instance.status,
        endStatus: instance.endStatus,
        engineState: instance.engineState,
        variables: instance.variables,
        waits: instance.waits,
        revision: instance.revision,
        endedAt: instance.endedAt,
        updatedAt: new Date(),
      },
    );
  }

  async insertIncident(
    manager: EntityManager,
    incident: Omit<IncidentEntity, 'id' | 'createdAt'>,
  ): Promise<IncidentEntity> {
    const entity = manager.getRepository(IncidentEntity).create({ ...incident, id: randomUUID() });
    await manager.getRepository(IncidentEntity).insert(entity);
    return entity;
  }

  async findIncident(manager: EntityManager, incidentId: string): Promise<IncidentEntity | null> {
    return manager.getRepository(IncidentEntity).findOneBy({ id: incidentId });
  }

  async saveIncident(manager: EntityManager, incident: IncidentEntity): Promise<void> {
    const { id, status, resolvedAt, resolvedBy, comment } = incident;
    await manager.getRepository(IncidentEntity).update({ id }, { status, resolvedAt, resolvedBy, comment });
  }

  async resolveOpenIncidents(
    manager: EntityManager,
    instanceId: string,
    comment: string,
    actor: string | null,
  ): Promise<void> {
    await manager
      .getRepository(IncidentEntity)
      .update(
        { instanceId, status: 'open' },
        { status: 'resolved', resolvedAt: new Date(), resolvedBy: actor, comment },
      );
  }

  async appendHistory(
    manager: EntityManager,
    instanceId: string,
    records: readonly HistoryRecord[],
  ): Promise<void> {
    if (records.length === 0) return;
    await manager.getRepository(HistoryEventEntity).insert(
      records.map((r) => ({
        instanceId,
        type: r.type,
        elementId: r.elementId ?? null,
        elementName: r.elementName ?? null,
        executionId: r.executionId ?? null,
        actor: r.actor ?? null,
        data: r.data ?? null,
      })),
    );
  }

  /** A user task's history: the events of its wait and those that name the task (claims, assignments). */
  async historyOfTask(
    manager: EntityManager,
    instanceId: string,
    executionId: string,
    taskId: string,
  ): Promise<HistoryEventEntity[]> {
    return manager
      .getRepository(HistoryEventEntity)
      .createQueryBuilder('h')
      .where('h.instance_id = :instanceId', { instanceId })
      .andWhere("(h.execution_id = :executionId OR h.data->>'taskId' = :taskId)", { executionId, taskId })
      .orderBy('h.id', 'ASC')
      .getMany();
  }

  /** Who completed a task with this form in the instance. */
  async actorsOf(manager: EntityManager, instanceId: string, formKey: string): Promise<string[]> {
    const rows: Array<{ actor: string }> = await manager.query(
      `SELECT DISTINCT actor FROM history_event
        WHERE instance_id = $1 AND type = 'task.completed' AND data->>'formKey' = $2 AND actor IS NOT NULL`,
      [instanceId, formKey],
    );
    return rows.map((r) => r.actor);
  }

  /** Instances by process, release class and status (a completed one by its end status), for gauges. */
  async countsByStatus(manager: EntityManager): Promise<InstanceCount[]> {
    return manager.query(
      `SELECT process_key AS process, coalesce(variables->>'releaseClass', 'none') AS class,
              CASE WHEN status = 'completed' THEN coalesce(end_status, 'completed') ELSE status END AS status,
              count(*)::int AS n
         FROM process_instance GROUP BY 1, 2, 3`,
    );
  }

  /** Open incidents by process, release class and job type, for gauges. */
  async openIncidentsByClass(manager: EntityManager): Promise<IncidentCount[]> {
    return manager.query(
      `SELECT i.process_key AS process, coalesce(i.variables->>'releaseClass', 'none') AS class,
              x.job_type AS "jobType", count(*)::int AS n
         FROM incident x JOIN process_instance i ON i.id = x.instance_id
        WHERE x.status = 'open' GROUP BY 1, 2, 3`,
    );
  }
}
