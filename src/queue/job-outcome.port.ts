import type { EntityManager } from 'typeorm';
import type { JobContext, JobResult } from './job-handler.port.js';

/** Why a job is not run: it is done already, or what it works for no longer waits for it. */
export interface JobSkipped {
  readonly skipped: string;
}

/** A job to run: what its handler gets, and the result an earlier run recorded (job_effect; null: none did). */
export interface JobToRun {
  readonly context: JobContext;
  readonly recorded: JobResult | null;
}

/** A job run and completed in one transaction: the handler's result and what the completion did. */
export interface JobCompletion {
  readonly result: JobResult;
  readonly fed: 'completed' | 'duplicate';
}

/**
 * What the queue reports about a job to whoever asked for it (the instances). The queue knows jobs, messages and
 * handlers, not what waits for them: the owner of the waits provides this port under JOB_OUTCOMES.
 */
export interface JobOutcomes {
  /** What a handler needs to run the job now (`attempt` from the job row), or why it must not run. */
  context(jobId: string): Promise<JobToRun | JobSkipped>;
  /** The handler finished: record its result and go on. A second report of the same job changes nothing. */
  completed(jobId: string, result: JobResult): Promise<'completed' | 'duplicate'>;
  /**
   * For a handler that only writes to the database: in ONE transaction, lock the job's instance (through the job),
   * run `work` with that transaction's manager and complete the job with the result it hands back. `work` is not
   * called when the job is no longer pending or its instance no longer runs (skipped). The caller's writes, its
   * job-effect record and the completion commit together, or none of them does.
   */
  completeWithin(
    jobId: string,
    work: (job: JobToRun, manager: EntityManager) => Promise<JobResult>,
  ): Promise<JobCompletion | JobSkipped>;
  /** An attempt failed (`attempt` counted on the job row); `final`: no attempt is left, it becomes an incident. */
  failed(jobId: string, error: string, attempt: number, final: boolean): Promise<void>;
  /** The handler ended in a BPMN error: the error event that catches its code takes over, else an incident. */
  thrown(
    jobId: string,
    errorCode: string,
    errorMessage: string,
    variables: Record<string, unknown>,
  ): Promise<'caught' | 'incident' | 'duplicate'>;
  /** A timer's wake-up arrived. */
  timerDue(jobId: string): Promise<'fired' | 'early' | 'duplicate'>;
}

export const JOB_OUTCOMES = Symbol('JOB_OUTCOMES');
