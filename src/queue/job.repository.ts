import { randomUUID } from 'node:crypto';
import { In, type EntityManager } from 'typeorm';
import type { JsonObject } from '../platform/json.js';
import { JobEntity, type JobKind } from './job.entity.js';
import { TIMER_QUEUE } from './job-queue.port.js';
import { OutboxEntity } from './outbox.entity.js';

export interface NewJob {
  /** Chosen by the caller when it records the job's id elsewhere in the same transaction. */
  readonly id?: string;
  readonly kind: JobKind;
  readonly jobType: string;
  readonly elementId: string;
  readonly executionId: string;
  readonly headers: Record<string, string>;
  readonly maxAttempts: number;
  readonly dueAt: Date | null;
}

/** The attempts a job has used up, counted on its row, and how many it may use. */
export interface AttemptCount {
  readonly attempts: number;
  readonly maxAttempts: number;
}

/**
 * The job rows and their outbox messages. The instance service writes them inside its own transaction
 * (pass its manager); the worker reads and counts attempts on them.
 */
export class JobRepository {
  /** A job and the outbox message that will put it on its queue after commit. */
  async insertJob(manager: EntityManager, instanceId: string, job: NewJob): Promise<JobEntity> {
    const entity = manager.getRepository(JobEntity).create({
      instanceId,
      ...job,
      id: job.id ?? randomUUID(),
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

  async pending(manager: EntityManager, instanceId: string): Promise<JobEntity[]> {
    return manager.getRepository(JobEntity).findBy({ instanceId, status: 'pending' });
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

  async find(manager: EntityManager, jobId: string): Promise<JobEntity | null> {
    return manager.getRepository(JobEntity).findOneBy({ id: jobId });
  }

  /**
   * Complete a job that is still pending, counting the attempt, in one statement: null when it is not pending (done
   * by another delivery, or withdrawn). Call under its instance's lock.
   */
  async completePending(
    manager: EntityManager,
    jobId: string,
    result: JsonObject,
  ): Promise<Pick<JobEntity, 'id' | 'jobType' | 'elementId' | 'executionId' | 'attempts'> | null> {
    const [rows]: [
      Array<{ id: string; job_type: string; element_id: string; execution_id: string; attempts: number }>,
      number,
    ] = await manager.query(
      `UPDATE job SET status = 'completed', result = $2, completed_at = now(), attempts = attempts + 1
        WHERE id = $1 AND status = 'pending'
        RETURNING id, job_type, element_id, execution_id, attempts`,
      [jobId, JSON.stringify(result)],
    );
    const row = rows[0];
    return row
      ? {
          id: row.id,
          jobType: row.job_type,
          elementId: row.element_id,
          executionId: row.execution_id,
          attempts: row.attempts,
        }
      : null;
  }

  /** Write back a job read in this transaction (an UPDATE by id: save() would read it again first). */
  async save(manager: EntityManager, job: JobEntity): Promise<void> {
    const { id, status, attempts, dueAt, result, error, completedAt } = job;
    await manager
      .getRepository(JobEntity)
      .update({ id }, { status, attempts, dueAt, result, error, completedAt });
  }

  /**
   * Count one spent attempt of a pending job, under its row lock, and say where it stands; null when the job is
   * no longer pending. The row is the one count: a redelivered message cannot count an attempt twice or miss one.
   */
  async countAttempt(manager: EntityManager, jobId: string): Promise<AttemptCount | null> {
    // TypeORM answers an UPDATE ... RETURNING with [rows, affected count].
    const [rows]: [Array<{ attempts: number; max_attempts: number }>, number] = await manager.query(
      `UPDATE job SET attempts = attempts + 1 WHERE id = $1 AND status = 'pending'
       RETURNING attempts, max_attempts`,
      [jobId],
    );
    const row = rows[0];
    return row ? { attempts: row.attempts, maxAttempts: row.max_attempts } : null;
  }
}
