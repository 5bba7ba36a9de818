import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { JobContext, JobResult } from './job-handler.port.js';

/**
 * The row in job_effect that says a job's handler finished, with the result it handed back. A job delivered
 * again (a retry after the feedback failed, a worker that died before reporting, a duplicate message) finds
 * the row and returns the same result without doing anything. The effects themselves are keyed by the job id
 * too (unique constraints, the delivery ledger), so a run cut off half-way is finished, not repeated, by the next.
 */
@Injectable()
export class JobEffects {
  async once(
    context: JobContext,
    manager: EntityManager,
    work: () => Promise<JobResult>,
  ): Promise<JobResult> {
    const done: Array<{ result: JobResult | null }> = await manager.query(
      'SELECT result FROM job_effect WHERE job_id = $1',
      [context.jobId],
    );
    if (done[0]) return done[0].result ?? {};
    const result = await work();
    const inserted: unknown[] = await manager.query(
      `INSERT INTO job_effect (job_id, job_type, instance_id, element_id, request, result)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (job_id) DO NOTHING RETURNING job_id`,
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
      ],
    );
    if (inserted.length > 0) return result;
    // A run of the same job at the same time finished first: its result is the one (both did the same work).
    const first: Array<{ result: JobResult | null }> = await manager.query(
      'SELECT result FROM job_effect WHERE job_id = $1',
      [context.jobId],
    );
    return first[0]?.result ?? result;
  }
}
