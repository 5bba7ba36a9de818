import type { JsonObject } from '../platform/json.js';
import { randomUUID } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import { UserTaskEntity } from '../tasks/user-task.entity.js';
import { HistoryEventEntity } from './history-event.entity.js';
import { IncidentEntity } from './incident.entity.js';
import { JobEntity, type JobKind } from '../queue/job.entity.js';
import { OutboxEntity } from '../queue/outbox.entity.js';
import { ProcessInstanceEntity } from './process-instance.entity.js';

export interface HistoryRecord {
  readonly type: string;
  readonly elementId?: string | null;
  readonly elementName?: string | null;
  readonly executionId?: string | null;
  readonly actor?: string | null;
  readonly data?: JsonObject | null;
}

export interface NewJob {
  readonly kind: JobKind;
  readonly jobType: string;
  readonly elementId: string;
  readonly executionId: string;
  readonly headers: Record<string, string>;
  readonly maxAttempts: number;
  readonly dueAt: Date | null;
}

export const TIMER_QUEUE = 'timer';

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
        revision: instance.revision,
        endedAt: instance.endedAt,
        updatedAt: new Date(),
      },
    );
  }

  async openTasks(manager: EntityManager, instanceId: string): Promise<UserTaskEntity[]> {
    return manager.getRepository(UserTaskEntity).findBy({ instanceId, status: 'open' });
  }

  async pendingJobs(manager: EntityManager, instanceId: string): Promise<JobEntity[]> {
    return manager.getRepository(JobEntity).findBy({ instanceId, status: 'pending' });
  }

  async insertTask(
    manager: EntityManager,
    task: Omit<UserTaskEntity, 'id' | 'createdAt'>,
  ): Promise<UserTaskEntity> {
    const entity = manager.getRepository(UserTaskEntity).create({ ...task, id: randomUUID() });
    await manager.getRepository(UserTaskEntity).insert(entity);
    return entity;
  }

  async closeTasks(manager: EntityManager, ids: string[], status: 'completed' | 'cancelled'): Promise<void> {
    if (ids.length === 0) return;
    await manager.getRepository(UserTaskEntity).update({ id: In(ids) }, { status, completedAt: new Date() });
  }

  /** A job and the outbox message that will put it on its queue after commit. */
  async insertJob(manager: EntityManager, instanceId: string, job: NewJob): Promise<JobEntity> {
    const entity = manager.getRepository(JobEntity).create({
      id: randomUUID(),
      instanceId,
      ...job,
      status: 'pending',
      attempts: 0,
      result: null,
      error: null,
      completedAt: null,
    });
    await manager.getRepository(JobEntity).insert(entity);
    await this.enqueue(manager, entity);
    return entity;
  }

  /** Write an outbox message for a job (again, for a retry or a timer woken too early). */
  async enqueue(manager: EntityManager, job: JobEntity): Promise<void> {
    await manager.getRepository(OutboxEntity).insert({
      id: randomUUID(),
      jobId: job.id,
      queue: job.kind === 'timer' ? TIMER_QUEUE : job.jobType,
      dueAt: job.dueAt,
      maxAttempts: job.maxAttempts,
      relayedAt: null,
    });
  }

  async finishJobs(
    manager: EntityManager,
    ids: string[],
    status: 'completed' | 'cancelled',
    result?: JsonObject,
  ): Promise<void> {
    if (ids.length === 0) return;
    await manager
      .getRepository(JobEntity)
      .update({ id: In(ids) }, { status, completedAt: new Date(), ...(result ? { result } : {}) });
  }

  async findJob(manager: EntityManager, jobId: string): Promise<JobEntity | null> {
    return manager.getRepository(JobEntity).findOneBy({ id: jobId });
  }

  /** Write back a job read in this transaction (an UPDATE by id: save() would read it again first). */
  async saveJob(manager: EntityManager, job: JobEntity): Promise<void> {
    const { id, status, attempts, dueAt, result, error, completedAt } = job;
    await manager
      .getRepository(JobEntity)
      .update({ id }, { status, attempts, dueAt, result, error, completedAt });
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
