import type { EntityManager } from 'typeorm';
import type { JobContext, JobHandler, JobResult } from '../job-handler.js';

/**
 * The minimal real handler: records what it was asked, once per job. Stands in for a job type until its
 * real work (mail, CMDB, product library, rollback hook, reports) is built.
 */
export class RecordingJobHandler implements JobHandler {
  constructor(readonly jobType: string) {}

  async handle(context: JobContext, manager: EntityManager): Promise<JobResult> {
    await manager.query(
      `INSERT INTO job_effect (job_id, job_type, instance_id, element_id, request)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (job_id) DO NOTHING`,
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
      ],
    );
    return {};
  }
}

/** The job types of the release procedure (release-procedure: service tasks). */
export const RELEASE_JOB_TYPES = [
  'notify',
  'cmdb.sync',
  'psl.archive',
  'psl.verify',
  'release.rollback',
  'report.generate',
] as const;
