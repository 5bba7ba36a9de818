import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, systemClock, type Clock } from '../platform/clock.js';
import type { JsonObject } from '../platform/json.js';
import { JobEntity, type JobKind } from './job.entity.js';
import { JobHandlerRegistry } from './job-handler.port.js';
import { JOB_CREATED_CHANNEL, TIMER_QUEUE } from './job-queue.port.js';
import { LocalJobDispatch } from './local-job-dispatch.js';
import type { OutboxMessage } from './outbox.repository.js';

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
  /** For a timer start event's timer (with no instance): the definition version it belongs to. */
  readonly definitionId?: string;
}

/** New jobs written by another statement's WITH clauses (see JobRepository.jobsWrite). */
export interface JobsWrite {
  readonly rows: ReadonlyArray<
    NewJob & {
      readonly id: string;
      readonly messageId: string;
      readonly queue: string | null;
      /** Written claimed for this process's workers, which run it after the commit (LocalJobDispatch). */
      readonly local: boolean;
    }
  >;
  readonly createdAt: Date;
  /**
   * The WITH clauses (job_input, new_jobs, job_messages), their parameters numbered from `first`; the instance id is
   * parameter `instanceParam`; the jobs are written only where `condition` holds, when one is given.
   */
  clauses(instanceParam: number, first: number, condition?: string): { sql: string; params: unknown[] };
  /** After the statement ran in `manager`'s transaction: its outbox messages go to the relay after the commit. */
  written(manager: EntityManager): Promise<void>;
}

/** The attempts a job has used up, counted on its row, and how many it may use. */
export interface AttemptCount {
  readonly attempts: number;
  readonly maxAttempts: number;
}

/**
 * The job rows and their outbox messages. The instance service writes them inside its own transaction
 * (pass its manager); the worker reads and counts attempts on them.
 *
 * The outbox messages a transaction writes are remembered by its EntityManager, so the relay puts them on their
 * queues straight after the commit (`takeWritten`) without reading them back. One instance in the application:
 * the writers and the relay must share it.
 */
@Injectable()
export class JobRepository {
  private readonly written = new WeakMap<EntityManager, OutboxMessage[]>();

  /**
   * `handlers`: which service-task types the service works itself. Jobs of the other types are for external
   * workers (POST /api/jobs/activate): they get no outbox message (nothing would consume it from the queue) and
   * their commit notifies JOB_CREATED_CHANNEL instead. Without it every type is queued. `clock`: when a job
   * is finished. `local`: which new jobs this process's own workers take straight after the commit.
   */
  constructor(
    @Optional() @Inject(JobHandlerRegistry) private readonly handlers?: JobHandlerRegistry,
    @Optional() @Inject(CLOCK) private readonly clock: Clock = systemClock,
    @Optional() @Inject(LocalJobDispatch) private readonly local?: LocalJobDispatch,
  ) {}

  /** A job and the outbox message that will put it on its queue after commit. */
  async insertJob(manager: EntityManager, instanceId: string, job: NewJob): Promise<JobEntity> {
    const [inserted] = await this.insertJobs(manager, instanceId, [job]);
    return inserted!;
  }

  /**
   * Jobs of one instance and their outbox messages, all in one statement. `instanceId` null: timers of timer start
   * events, each naming its definition version.
   */
  async insertJobs(
    manager: EntityManager,
    instanceId: string | null,
    jobs: readonly NewJob[],
  ): Promise<JobEntity[]> {
    if (jobs.length === 0) return [];
    const write = this.jobsWrite(jobs);
    const { sql, params } = write.clauses(1, 2);
    await manager.query(`WITH ${sql} SELECT count(*) FROM new_jobs`, [instanceId, ...params]);
    await write.written(manager);
    const { rows, createdAt } = write;
    return rows.map(({ messageId: _messageId, queue: _queue, local: _local, definitionId, ...job }) =>
      Object.assign(new JobEntity(), {
        ...job,
        instanceId,
        definitionId: definitionId ?? null,
        status: 'pending',
        attempts: 0,
        result: null,
        error: null,
        createdAt,
        completedAt: null,
        worker: null,
        leaseUntil: null,
        retryAt: null,
      } satisfies JobEntity),
    );
  }

  /**
   * Jobs of one instance and their outbox messages as data-modifying WITH clauses of another statement of the same
   * transaction (an instance's save: one round trip for both). Run the statement, then `written`.
   */
  jobsWrite(jobs: readonly NewJob[]): JobsWrite {
    const rows = jobs.map((job) => {
      const queue = this.isExternal(job) ? null : queueOf(job);
      const local = queue !== null && (this.local?.accepts(queue, job.dueAt) ?? false);
      return { ...job, id: job.id ?? randomUUID(), messageId: randomUUID(), queue, local };
    });
    const createdAt = this.clock.now();
    const input = JSON.stringify(
      rows.map((job) => ({
        id: job.id,
        message_id: job.messageId,
        kind: job.kind,
        job_type: job.jobType,
        element_id: job.elementId,
        execution_id: job.executionId,
        headers: job.headers,
        max_attempts: job.maxAttempts,
        due_at: job.dueAt,
        queue: job.queue,
        definition_id: job.definitionId ?? null,
        local: job.local,
      })),
    );
    return {
      rows,
      createdAt,
      clauses: (instanceParam, first, condition) => ({
        sql: `job_input AS (
         SELECT * FROM jsonb_to_recordset($${first}::jsonb) AS t(
           id uuid, message_id uuid, kind varchar, job_type varchar, element_id varchar, execution_id varchar,
           headers jsonb, max_attempts int, due_at timestamptz, queue varchar, definition_id uuid, local boolean)
       ), new_jobs AS (
         INSERT INTO job (id, instance_id, definition_id, kind, job_type, element_id, execution_id, headers, status,
                          max_attempts, attempts, due_at, created_at)
         SELECT id, $${instanceParam}::uuid, definition_id, kind, job_type, element_id, execution_id, headers, 'pending',
                max_attempts, 0, due_at, $${first + 1}::timestamptz
           FROM job_input${condition ? `\n          WHERE ${condition}` : ''}
         RETURNING id
       ), job_messages AS (
         INSERT INTO outbox (id, job_id, queue, due_at, max_attempts, claimed_at)
         SELECT job_input.message_id, new_jobs.id, job_input.queue, job_input.due_at, job_input.max_attempts,
                CASE WHEN job_input.local THEN now() END
           FROM new_jobs JOIN job_input ON job_input.id = new_jobs.id
          WHERE job_input.queue IS NOT NULL
       )`,
        params: [input, createdAt],
      }),
      written: async (manager) => {
        const messages: OutboxMessage[] = [];
        for (const job of rows) {
          if (job.queue === null) continue;
          messages.push({
            id: job.messageId,
            jobId: job.id,
            queue: job.queue,
            dueAt: job.dueAt,
            maxAttempts: job.maxAttempts,
            local: job.local,
          });
        }
        this.remember(manager, messages);
        // Only a batch with jobs for external workers pays this statement: the service's own types never do.
        if (messages.length < rows.length) {
          await this.notifyCreated(manager, [
            ...new Set(rows.filter((job) => job.queue === null).map((job) => job.jobType)),
          ]);
        }
      },
    };
  }

  /**
   * Write an outbox message for a job (again, for a retry or a timer woken too early); a job for external workers
   * gets none: its commit wakes the activations waiting for its type instead.
   */
  async enqueue(manager: EntityManager, job: JobEntity): Promise<void> {
    if (this.isExternal(job)) {
      await this.notifyCreated(manager, [job.jobType]);
      return;
    }
    const message: OutboxMessage = {
      id: randomUUID(),
      jobId: job.id,
      queue: queueOf(job),
      dueAt: job.dueAt,
      maxAttempts: job.maxAttempts,
    };
    await manager.query(
      'INSERT INTO outbox (id, job_id, queue, due_at, max_attempts) VALUES ($1, $2, $3, $4, $5)',
      [message.id, message.jobId, message.queue, message.dueAt, message.maxAttempts],
    );
    this.remember(manager, [message]);
  }

  /**
   * The outbox messages written through `manager`'s transaction, handed over once: call it after the commit.
   * Empty when the transaction wrote none.
   */
  takeWritten(manager: EntityManager): OutboxMessage[] {
    const messages = this.written.get(manager) ?? [];
    this.written.delete(manager);
    return messages;
  }

  async pending(manager: EntityManager, instanceId: string): Promise<JobEntity[]> {
    return manager.getRepository(JobEntity).findBy({ instanceId, status: 'pending' });
  }

  /** Close jobs whose wait was left (completed with it, or cancelled): plain SQL, no ORM query building. */
  async finishJobs(manager: EntityManager, ids: string[], status: 'completed' | 'cancelled'): Promise<void> {
    if (ids.length === 0) return;
    await manager.query('UPDATE job SET status = $2, completed_at = $3 WHERE id = ANY($1::uuid[])', [
      ids,
      status,
      this.clock.now(),
    ]);
  }

  async find(manager: EntityManager, jobId: string): Promise<JobEntity | null> {
    return manager.getRepository(JobEntity).findOneBy({ id: jobId });
  }

  /**
   * Complete a job, counting the attempt, as a data-modifying WITH clause of another statement of the same transaction
   * (its instance's save: one round trip for both); its parameters numbered from `first`. Call holding the job's row
   * lock, having read it pending: whether it is done is decided there, not here.
   */
  completionWrite(
    jobId: string,
    result: JsonObject,
  ): (instanceParam: number, first: number) => { sql: string; params: unknown[] } {
    const completedAt = this.clock.now();
    return (_instanceParam, first) => ({
      // A done job's messages still unrelayed (one its own process's workers ran) are done with too.
      sql: `completed_job AS (
         UPDATE job SET status = 'completed', result = $${first + 1}::jsonb, completed_at = $${first + 2}::timestamptz,
                        attempts = attempts + 1
          WHERE id = $${first}::uuid
       ), done_messages AS (
         UPDATE outbox SET relayed_at = now(), claimed_at = NULL WHERE job_id = $${first}::uuid AND relayed_at IS NULL
       )`,
      params: [jobId, JSON.stringify(result), completedAt],
    });
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

  /** The attempts counted on the rows of these jobs, by job id: the whole count, wherever the attempts ran. */
  async attemptsOf(manager: EntityManager, jobIds: readonly string[]): Promise<Map<string, number>> {
    if (jobIds.length === 0) return new Map();
    const rows: Array<{ id: string; attempts: number }> = await manager.query(
      'SELECT id, attempts FROM job WHERE id = ANY($1::uuid[])',
      [jobIds],
    );
    return new Map(rows.map((row) => [row.id, row.attempts]));
  }

  /** A service-task job no handler of this service works: external workers activate it. */
  isExternal(job: Pick<NewJob, 'kind' | 'jobType'>): boolean {
    return job.kind === 'service-task' && this.handlers !== undefined && !this.handlers.has(job.jobType);
  }

  /** NOTIFY is transactional: the waiting activations hear of the jobs when (and only if) they commit. */
  private async notifyCreated(manager: EntityManager, jobTypes: readonly string[]): Promise<void> {
    await manager.query(`SELECT pg_notify('${JOB_CREATED_CHANNEL}', t) FROM unnest($1::text[]) AS t`, [
      jobTypes,
    ]);
  }

  /**
   * Remember messages written in a transaction for the relay. Outside one (no transaction to follow) they are
   * left to the relay's sweep, but for those written for this process's workers: they are committed, so they run.
   */
  private remember(manager: EntityManager, messages: readonly OutboxMessage[]): void {
    if (!manager.queryRunner?.isTransactionActive) {
      const local = messages.filter((m) => m.local);
      if (local.length > 0) this.local?.start(local);
      return;
    }
    const written = this.written.get(manager);
    if (written) written.push(...messages);
    else this.written.set(manager, [...messages]);
  }
}

function queueOf(job: Pick<NewJob, 'kind' | 'jobType'>): string {
  return job.kind === 'timer' ? TIMER_QUEUE : job.jobType;
}
