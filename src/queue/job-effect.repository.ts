import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { CLOCK, type Clock } from '../platform/clock.js';
import type { JobContext, JobResult } from './job-handler.port.js';

/** SQL over job_effect: the record that a job's handler finished, with the result it handed back. */
@Injectable()
export class JobEffectRepository {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  /** The result recorded for the job; null when its handler has not finished. */
  async recorded(manager: EntityManager, jobId: string): Promise<JobResult | null> {
    const rows: Array<{ result: JobResult | null }> = await manager.query(
      'SELECT result FROM job_effect WHERE job_id = $1',
      [jobId],
    );
    // Effects recorded before results were kept have none: they handed back nothing to merge.
    return rows[0] ? (rows[0].result ?? {}) : null;
  }

  /** Record the handler's result; false when a run of the same job recorded one first (that one stays). */
  async record(manager: EntityManager, context: JobContext, result: JobResult): Promise<boolean> {
    const inserted: unknown[] = await manager.query(
      `INSERT INTO job_effect (job_id, job_type, instance_id, element_id, request, result, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (job_id) DO NOTHING RETURNING job_id`,
      [
        context.jobId,
        context.jobType,
        context.instanceId,
        context.elementId,
        JSON.stringify({
          headers: context.headers,
          businessKey: context.businessKey,
          attempt: context.attempt,
        }),
        JSON.stringify(result),
        this.clock.now(),
      ],
    );
    return inserted.length > 0;
  }
}
