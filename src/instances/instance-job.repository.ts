import type { EntityManager } from 'typeorm';
import type { JobResult } from '../queue/job-handler.port.js';
import type { JobStatus } from '../queue/job.entity.js';
import type { InstanceStatus } from './process-instance.entity.js';

/** A job read with what its handler needs of the instance, and the result recorded for it (if any). */
export interface JobWithInstance {
  readonly id: string;
  readonly jobType: string;
  readonly elementId: string;
  readonly headers: Record<string, string>;
  readonly status: JobStatus;
  readonly attempts: number;
  readonly instanceId: string;
  readonly instanceStatus: InstanceStatus;
  readonly businessKey: string | null;
  readonly variables: Record<string, unknown>;
  /** The job_effect result; null when the handler has not finished. */
  readonly recorded: JobResult | null;
}

interface Row {
  id: string;
  job_type: string;
  element_id: string;
  headers: Record<string, string>;
  status: JobStatus;
  attempts: number;
  instance_id: string;
  instance_status: InstanceStatus;
  business_key: string | null;
  variables: Record<string, unknown>;
  effect_recorded: boolean;
  result: JobResult | null;
}

/**
 * The local variables of the wait a job belongs to (a multi-instance inner instance's), which the job sees over the
 * instance's: `instance` and `job` are the aliases of the two rows in the query.
 */
export function waitVariablesSql(instance: string, job: string): string {
  return `coalesce((SELECT w->'variables' FROM jsonb_array_elements(coalesce(${instance}.waits, '[]'::jsonb)) w
            WHERE w->>'executionId' = ${job}.execution_id AND jsonb_typeof(w->'variables') = 'object' LIMIT 1),
          '{}'::jsonb)`;
}

const SELECT = `
  SELECT j.id, j.job_type, j.element_id, j.headers, j.status, j.attempts, j.instance_id,
         i.status AS instance_status, i.business_key, i.variables || ${waitVariablesSql('i', 'j')} AS variables,
         e.job_id IS NOT NULL AS effect_recorded, e.result
    FROM job j
    JOIN process_instance i ON i.id = j.instance_id
    LEFT JOIN job_effect e ON e.job_id = j.id
   WHERE j.id = $1`;

/** The worker's reads of a job: the job, its instance and its recorded effect in one statement. */
export class InstanceJobRepository {
  /** Without a lock. */
  async find(manager: EntityManager, jobId: string): Promise<JobWithInstance | null> {
    return toJob(await manager.query(SELECT, [jobId]));
  }

  /**
   * The same read holding the instance's row lock, taken through the job, and then the job's: the instance first,
   * as every change of an instance does, so the two orders cannot deadlock. Both rows come back as they are once
   * the locks are held, so a job another transaction completed meanwhile reads as completed.
   */
  async lock(manager: EntityManager, jobId: string): Promise<JobWithInstance | null> {
    return toJob(await manager.query(`${SELECT} FOR UPDATE OF i, j`, [jobId]));
  }
}

function toJob(rows: Row[]): JobWithInstance | null {
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    jobType: row.job_type,
    elementId: row.element_id,
    headers: row.headers,
    status: row.status,
    attempts: row.attempts,
    instanceId: row.instance_id,
    instanceStatus: row.instance_status,
    businessKey: row.business_key,
    variables: row.variables,
    // Effects recorded before results were kept have none: they handed back nothing to merge.
    recorded: row.effect_recorded ? (row.result ?? {}) : null,
  };
}
