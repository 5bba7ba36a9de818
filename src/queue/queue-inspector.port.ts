import type { Queue } from 'bullmq';

/** A queue job that finished (completed or failed), as operators see it. */
export interface FinishedQueueJob {
  /** The queue job's id (the outbox message id). */
  readonly id: string;
  /** The job row it carries. */
  readonly jobId: string;
  readonly attemptsMade: number;
  readonly failedReason: string;
  /** Epoch milliseconds; undefined while it has not finished. */
  readonly finishedOn: number | undefined;
}

/** What happened to a request to retry or remove a failed queue job. */
export type FailedJobAction = 'done' | 'missing' | 'not-failed';

/** The queues as operators and dashboards see them: names, counts, recent jobs, and failed-job actions. */
export interface QueueInspector {
  /** Every queue the workers consume: one per job type, and the timers'. */
  names(): string[];
  /** Jobs by state (waiting, delayed, active, completed, failed). */
  counts(queue: string): Promise<Record<string, number>>;
  /** The most recently completed jobs, newest first. */
  completed(queue: string, limit: number): Promise<FinishedQueueJob[]>;
  /** The most recently failed jobs, newest first. */
  failed(queue: string, limit: number): Promise<FinishedQueueJob[]>;
  /** Put a failed queue job back. */
  retryFailed(queue: string, id: string): Promise<FailedJobAction>;
  /** Drop a failed queue job. */
  removeFailed(queue: string, id: string): Promise<FailedJobAction>;
  /** Age in seconds of the oldest committed message not yet on its queue (0 when none). */
  relayLagSeconds(): Promise<number>;
  /** The BullMQ queues themselves, for a board that speaks BullMQ. */
  bullQueues(): Queue[];
}

export const QUEUE_INSPECTOR = Symbol('QUEUE_INSPECTOR');
