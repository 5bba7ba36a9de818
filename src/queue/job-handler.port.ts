import type { EntityManager } from 'typeorm';

/** What a handler gets to do one service-task job. */
export interface JobContext {
  /** The job's id: the idempotency key of whatever the handler does. */
  readonly jobId: string;
  readonly jobType: string;
  readonly instanceId: string;
  readonly businessKey: string | null;
  readonly elementId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly variables: Readonly<Record<string, unknown>>;
  /** 1 on the first try. */
  readonly attempt: number;
}

/** What a handler hands back: variables merged into the process (Camunda 8 semantics), and its outcome for the history. */
export interface JobResult {
  readonly variables?: Record<string, unknown>;
  /** What the handler did (mails sent, versions changed, checksum found, ...): recorded in the release's history. */
  readonly outcome?: Record<string, unknown>;
}

/**
 * What a handler's work touches, which decides how the worker runs it:
 * - `database`: it only writes to PostgreSQL, through the manager it is given. Its writes, its job-effect record and
 *   the job's completion commit in ONE transaction, under the lock of the job's instance: a delivery after that
 *   commit finds the job done and repeats nothing.
 * - `peers`: it calls other systems (mail, webhooks, hooks) or does work outside that transaction. Its result is
 *   recorded first (job_effect), the completion follows in a transaction of its own.
 */
export type JobHandlerEffects = 'database' | 'peers';

/** How a handler is registered beside its job type (`@JobHandlerFor({ effects: 'database' })`). */
export interface JobHandlerOptions {
  /** `peers` unless given. */
  readonly effects?: JobHandlerEffects;
}

/** One service-task type. A handler must be idempotent: run twice for one job, it changes nothing the second time. */
export interface JobHandler {
  readonly jobType: string;
  /** For a handler registered without the decorator (an embedding application's, a test's); `peers` unless given. */
  readonly effects?: JobHandlerEffects;
  handle(context: JobContext, manager: EntityManager): Promise<JobResult>;
}

/** A handler with the options it was registered with. */
export interface JobHandlerRegistration extends JobHandlerOptions {
  readonly handler: JobHandler;
}

/**
 * The job cannot run yet and is not at fault: something it needs is held elsewhere until `retryAt` (a delivery
 * another worker claimed, perhaps one that died). The worker puts the job back until then without spending
 * one of its attempts, so waiting never turns into an incident.
 */
export class JobNotReadyError extends Error {
  constructor(
    message: string,
    readonly retryAt: Date,
  ) {
    super(message);
    this.name = 'JobNotReadyError';
  }
}

/**
 * The work ended in a business error the process models (Camunda 8's "throw error" of a job worker): the nearest
 * error event catching `errorCode` takes over; when none does, the job becomes an incident. Not a failure: no
 * retry is spent.
 */
export class JobBpmnError extends Error {
  constructor(
    readonly errorCode: string,
    message: string,
    readonly variables: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'JobBpmnError';
  }
}

type HandlerList = ReadonlyArray<JobHandler | JobHandlerRegistration>;

/** The handlers by job type, checked once: no type without a handler, none with two. */
export class JobHandlerRegistry {
  private handlers: Map<string, Required<JobHandlerRegistration>> | undefined;

  /**
   * `handlers`: the list, or where to find it on first use (handlers discovered among the application's providers
   * exist only once the application has been built).
   */
  constructor(private readonly source: HandlerList | (() => HandlerList)) {
    if (typeof source !== 'function') this.load();
  }

  get(jobType: string): JobHandler | undefined {
    return this.load().get(jobType)?.handler;
  }

  /** How the handler of `jobType` is run (see JobHandlerEffects); `peers` for a type without one. */
  effectsOf(jobType: string): JobHandlerEffects {
    return this.load().get(jobType)?.effects ?? 'peers';
  }

  has(jobType: string): boolean {
    return this.load().has(jobType);
  }

  get jobTypes(): string[] {
    return [...this.load().keys()].sort();
  }

  /** Find and check the handlers now (a duplicate or a bad name fails the boot, not the first job). */
  check(): void {
    this.load();
  }

  private load(): Map<string, Required<JobHandlerRegistration>> {
    if (this.handlers) return this.handlers;
    const handlers = new Map<string, Required<JobHandlerRegistration>>();
    for (const entry of typeof this.source === 'function' ? this.source() : this.source) {
      const handler = 'handler' in entry ? entry.handler : entry;
      const effects = ('handler' in entry ? entry.effects : undefined) ?? handler.effects ?? 'peers';
      if (effects !== 'database' && effects !== 'peers') {
        throw new Error(
          `job type "${handler.jobType}": effects must be "database" or "peers", not ${JSON.stringify(effects)}`,
        );
      }
      if (!/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$/.test(handler.jobType)) {
        throw new Error(
          `job type "${handler.jobType}" is not a valid name (lower case words joined by dots)`,
        );
      }
      if (handlers.has(handler.jobType)) {
        throw new Error(`two handlers are registered for job type "${handler.jobType}"`);
      }
      handlers.set(handler.jobType, { handler, effects });
    }
    this.handlers = handlers;
    return handlers;
  }
}
