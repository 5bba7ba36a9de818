/** The message a queue carries: only the job's id; the job itself lives in PostgreSQL. */
export interface QueueMessage {
  readonly jobId: string;
}

export interface EnqueueOptions {
  readonly delayMs: number;
  readonly attempts: number;
}

/** One message for `enqueueBulk`: where it goes, under which id, with which options. */
export interface QueuedMessage {
  readonly queue: string;
  readonly messageId: string;
  readonly message: QueueMessage;
  readonly options: EnqueueOptions;
}

/** Where the outbox relay puts jobs. Adding the same message id twice adds it once. */
export interface JobQueuePort {
  enqueue(queue: string, messageId: string, message: QueueMessage, options: EnqueueOptions): Promise<void>;
  /** Several messages, on any queues, in one go (one round trip where the transport allows). */
  enqueueBulk(messages: readonly QueuedMessage[]): Promise<void>;
}

export const JOB_QUEUE = Symbol('JOB_QUEUE');

/** The queue of timers' wake-ups (service-task jobs have a queue per job type). */
export const TIMER_QUEUE = 'timer';

/**
 * The PostgreSQL channel a transaction that creates jobs for external workers notifies (payload: the job type),
 * delivered on commit: it wakes the long polls of POST /api/jobs/activate waiting for that type.
 */
export const JOB_CREATED_CHANNEL = 'job_created';
