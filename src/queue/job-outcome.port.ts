import type { JobContext, JobResult } from './job-handler.port.js';

/** Why a job is not run: it is done already, or what it works for no longer waits for it. */
export interface JobSkipped {
  readonly skipped: string;
}

/**
 * What the queue reports about a job to whoever asked for it (the instances). The queue knows jobs, messages and
 * handlers, not what waits for them: the owner of the waits provides this port under JOB_OUTCOMES.
 */
export interface JobOutcomes {
  /** What a handler needs to run the job now (`attempt` from the job row), or why it must not run. */
  context(jobId: string): Promise<JobContext | JobSkipped>;
  /** The handler finished: record its result and go on. A second report of the same job changes nothing. */
  completed(jobId: string, result: JobResult): Promise<'completed' | 'duplicate'>;
  /** An attempt failed (`attempt` counted on the job row); `final`: no attempt is left, it becomes an incident. */
  failed(jobId: string, error: string, attempt: number, final: boolean): Promise<void>;
  /** A timer's wake-up arrived. */
  timerDue(jobId: string): Promise<'fired' | 'early' | 'duplicate'>;
}

export const JOB_OUTCOMES = Symbol('JOB_OUTCOMES');
