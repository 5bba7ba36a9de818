import type { EntityManager } from 'typeorm';
import type { JobKind, JobStatus } from '../queue/job.entity.js';
import { waitVariablesSql } from '../instances/index.js';

/** A job as an activation hands it to an external worker. */
export interface LeasedJob {
  readonly id: string;
  readonly instanceId: string;
  readonly jobType: string;
  readonly elementId: string;
  readonly headers: Record<string, string>;
  /** Camunda's retries: max_attempts - attempts. */
  readonly retries: number;
  readonly leaseUntil: Date;
  readonly businessKey: string | null;
  readonly variables: Record<string, unknown>;
}

/** What deciding whether a worker may report on a job needs. */
export interface JobLease {
  readonly id: string;
  readonly instanceId: string;
  readonly kind: JobKind;
  readonly jobType: string;
  readonly status: JobStatus;
  readonly worker: string | null;
  readonly leaseUntil: Date | null;
  readonly attempts: number;
  readonly maxAttempts: number;
}

export interface Activation {
  readonly jobType: string;
  readonly worker: string;
  readonly now: Date;
  readonly leaseUntil: Date;
  readonly maxJobs: number;
  /** Only these variables; all of the instance's when undefined. */
  readonly fetchVariables: readonly string[] | undefined;
}

const LEASE_COLUMNS = `id, instance_id, kind, job_type, status, worker, lease_until, attempts, max_attempts`;

interface LeaseRow {
  id: string;
  instance_id: string;
  kind: JobKind;
  job_type: string;
  status: JobStatus;
  worker: string | null;
  lease_until: Date | null;
  attempts: number;
  max_attempts: number;
}

/** The job rows as external workers lease and report them (the `job` table with its instance's variables). */
export class ExternalJobRepository {
  /**
   * Lease up to `maxJobs` of the oldest activatable jobs of a type to `worker`, in one statement: pending, not
   * leased (or the lease lapsed), past any retry back-off. Rows another transaction holds are skipped, so two
   * activations never hand out one job.
   */
  async activate(manager: EntityManager, activation: Activation): Promise<LeasedJob[]> {
    const rows: Array<{
      id: string;
      instance_id: string;
      job_type: string;
      element_id: string;
      headers: Record<string, string>;
      retries: number;
      lease_until: Date;
      business_key: string | null;
      variables: Record<string, unknown>;
    }> = await manager.query(
      `WITH picked AS (
         SELECT id FROM job
          WHERE job_type = $1 AND status = 'pending' AND kind = 'service-task'
            AND (lease_until IS NULL OR lease_until <= $3) AND (retry_at IS NULL OR retry_at <= $3)
          ORDER BY created_at
          LIMIT $5
          FOR UPDATE SKIP LOCKED
       ), leased AS (
         UPDATE job j SET worker = $2, lease_until = $4
           FROM picked WHERE j.id = picked.id
         RETURNING j.id, j.instance_id, j.job_type, j.element_id, j.execution_id, j.headers,
                   j.max_attempts - j.attempts AS retries, j.lease_until, j.created_at
       ), scoped AS (
         SELECT l.*, i.business_key, i.variables || ${waitVariablesSql('i', 'l')} AS variables
           FROM leased l JOIN process_instance i ON i.id = l.instance_id
       )
       SELECT s.id, s.instance_id, s.job_type, s.element_id, s.headers, s.retries, s.lease_until, s.business_key,
              CASE WHEN $6::text[] IS NULL THEN s.variables
                   ELSE (SELECT coalesce(jsonb_object_agg(v.key, v.value), '{}'::jsonb)
                           FROM jsonb_each(s.variables) v WHERE v.key = ANY ($6::text[]))
              END AS variables
         FROM scoped s
        ORDER BY s.created_at`,
      [
        activation.jobType,
        activation.worker,
        activation.now,
        activation.leaseUntil,
        activation.maxJobs,
        activation.fetchVariables ?? null,
      ],
    );
    return rows.map((row) => ({
      id: row.id,
      instanceId: row.instance_id,
      jobType: row.job_type,
      elementId: row.element_id,
      headers: row.headers,
      retries: row.retries,
      leaseUntil: new Date(row.lease_until),
      businessKey: row.business_key,
      variables: row.variables,
    }));
  }

  /** Without a lock: where a report starts (the job's instance is locked first). */
  async find(manager: EntityManager, jobId: string): Promise<JobLease | null> {
    return toLease(await manager.query(`SELECT ${LEASE_COLUMNS} FROM job WHERE id = $1`, [jobId]));
  }

  /** The same under the job's row lock: call it holding its instance's lock (instance first, then job). */
  async lock(manager: EntityManager, jobId: string): Promise<JobLease | null> {
    return toLease(await manager.query(`SELECT ${LEASE_COLUMNS} FROM job WHERE id = $1 FOR UPDATE`, [jobId]));
  }

  /**
   * A worker failed the job: count the attempt, leave it `retries` more, release the lease and keep it from being
   * activated before `retryAt`. Returns the attempt's number.
   */
  async recordFailure(
    manager: EntityManager,
    jobId: string,
    retries: number,
    retryAt: Date | null,
  ): Promise<number> {
    const [rows]: [Array<{ attempts: number }>, number] = await manager.query(
      `UPDATE job SET attempts = attempts + 1, max_attempts = attempts + 1 + $2, worker = NULL, lease_until = NULL,
                      retry_at = $3
        WHERE id = $1
        RETURNING attempts`,
      [jobId, retries, retryAt],
    );
    return rows[0]!.attempts;
  }

  /** Leave a job `retries` more attempts from now. */
  async setRetries(manager: EntityManager, jobId: string, retries: number): Promise<void> {
    await manager.query(`UPDATE job SET max_attempts = attempts + $2 WHERE id = $1`, [jobId, retries]);
  }
}

function toLease(rows: LeaseRow[]): JobLease | null {
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    instanceId: row.instance_id,
    kind: row.kind,
    jobType: row.job_type,
    status: row.status,
    worker: row.worker,
    leaseUntil: row.lease_until ? new Date(row.lease_until) : null,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
  };
}
