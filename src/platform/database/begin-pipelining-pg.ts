import pg from 'pg';

/**
 * The `pg` driver TypeORM is given: its pooled clients send a transaction's BEGIN in the same network write as
 * the transaction's first statement, under one Sync, as pgjdbc does. A transaction then costs one round trip
 * less; repositories and services see nothing of it.
 *
 * A client holds back a transaction-opening statement (TypeORM's `START TRANSACTION`, or any `BEGIN` with its
 * modes) and answers it at once. The next statement on that client goes out as Parse/Bind/Execute of the BEGIN,
 * then Parse/Bind/Describe/Execute of the statement, then Sync; its caller gets the statement's result only. A
 * COMMIT or ROLLBACK right after a held BEGIN has nothing to end and sends nothing. The server runs exactly what
 * it would have run, in the same order: if the statement fails, the transaction is aborted as after a separate
 * BEGIN, and the caller's ROLLBACK ends it.
 */

/** BEGIN or START TRANSACTION, with or without transaction modes (isolation level, READ ONLY, ...). */
const OPENS = /^\s*(?:BEGIN|START\s+TRANSACTION)\b[\w\s,]*;?\s*$/i;
/** A plain end of the transaction, not `ROLLBACK TO SAVEPOINT` nor `COMMIT AND CHAIN` (those run as statements). */
const ENDS = /^\s*(COMMIT|END|ROLLBACK|ABORT)(?:\s+(?:WORK|TRANSACTION))?\s*;?\s*$/i;
/** Text after a semicolon may be a second statement, which the extended protocol refuses: such text goes alone. */
const MAY_HOLD_SEVERAL = /;\s*\S/;

type Callback = (err: Error | null, result?: unknown) => void;

/** The parts of pg's Connection and Query this module drives; Query subclasses are pg's extension point. */
interface Connection {
  parse(query: { text: string }): void;
  bind(config: object): void;
  execute(config: object): void;
}
interface QueryInternals {
  prepare(connection: Connection): void;
  handleCommandComplete(msg: unknown, connection: Connection): void;
  handleError(err: Error, connection: Connection): void;
}
const Query = pg.Query as unknown as new (
  text: string,
  values: unknown[] | undefined,
  callback: Callback,
) => QueryInternals;

/** The statement, preceded on the wire by the held BEGIN: one write, one Sync, one round trip. */
class StatementAfterBegin extends Query {
  private beginCompleted = false;

  constructor(
    private readonly begin: string,
    text: string,
    values: unknown[] | undefined,
    callback: Callback,
  ) {
    super(text, values, callback);
  }

  /** Even without parameters: a simple Query message cannot share the BEGIN's Sync. */
  requiresPreparation(): boolean {
    return true;
  }

  // Called by pg's submit between cork and uncork, so these messages and the statement's leave in one write.
  override prepare(connection: Connection): void {
    connection.parse({ text: this.begin });
    connection.bind({});
    connection.execute({});
    super.prepare(connection);
  }

  // The first CommandComplete is the BEGIN's: not part of the statement's result.
  override handleCommandComplete(msg: unknown, connection: Connection): void {
    if (!this.beginCompleted) {
      this.beginCompleted = true;
      return;
    }
    super.handleCommandComplete(msg, connection);
  }
}

interface ClientInternals {
  readonly connection: Connection;
  readonly pipeline: boolean;
  query(...args: unknown[]): unknown;
}
const Client = pg.Client as unknown as new (config?: unknown) => ClientInternals;

/** What pg answers for a statement that returns no rows. */
const noRows = (command: string) => ({ command, rowCount: null, oid: null, rows: [], fields: [] });

export class BeginPipeliningClient extends Client {
  private heldBegin: string | undefined;

  /** The pool drops a held BEGIN when the client comes back, so the next user starts outside any transaction. */
  dropHeldBegin(): void {
    this.heldBegin = undefined;
  }

  override query(...args: unknown[]): unknown {
    const [config, values, callback] = args;
    const text = typeof config === 'string' ? config : undefined;
    const cb = (typeof values === 'function' ? values : callback) as Callback | undefined;
    const params = Array.isArray(values) ? (values as unknown[]) : undefined;
    const begin = this.heldBegin;
    if (begin === undefined) {
      // Pipeline mode has its own batching; parameters would make it no plain BEGIN.
      if (text === undefined || !OPENS.test(text) || params?.length || this.pipeline)
        return super.query(...args);
      this.heldBegin = text;
      return answer(cb, null, noRows('BEGIN'));
    }
    this.heldBegin = undefined;
    if (text !== undefined && ENDS.test(text)) {
      const ended = /^\s*(?:COMMIT|END)/i.test(text) ? 'COMMIT' : 'ROLLBACK';
      return answer(cb, null, noRows(ended));
    }
    if (text !== undefined && !MAY_HOLD_SEVERAL.test(text)) {
      return settle(cb, (done) => super.query(new StatementAfterBegin(begin, text, params, done)));
    }
    // Anything else (several statements in one text, a cursor, a config object) follows its own BEGIN, as before.
    return this.afterOwnBegin(begin, args, cb);
  }

  private afterOwnBegin(begin: string, args: unknown[], cb: Callback | undefined): unknown {
    const submittable = args[0] as { submit?: unknown; handleError?: (err: Error, c: Connection) => void };
    const next = (err: Error | null): void => {
      if (!err) void super.query(...args);
      else if (typeof submittable?.submit === 'function') submittable.handleError?.(err, this.connection);
      else cb?.(err);
    };
    if (typeof submittable?.submit === 'function' || cb) {
      super.query(begin, next);
      return typeof submittable?.submit === 'function' ? submittable : undefined;
    }
    return (super.query(begin) as Promise<unknown>).then(() => super.query(...args));
  }
}

/** Callback style when the caller gave a callback, else a promise: the two ways pg answers. */
function settle(cb: Callback | undefined, run: (done: Callback) => void): Promise<unknown> | undefined {
  if (cb) {
    run(cb);
    return undefined;
  }
  return new Promise((resolve, reject) => run((err, result) => (err ? reject(err) : resolve(result))));
}

/** Answers without the server, still asynchronously, as pg always does. */
function answer(cb: Callback | undefined, err: Error | null, result: unknown): Promise<unknown> | undefined {
  return settle(cb, (done) => process.nextTick(() => done(err, result)));
}

export class BeginPipeliningPool extends pg.Pool {
  constructor(config?: pg.PoolConfig) {
    super({ ...config, Client: BeginPipeliningClient as unknown as new () => pg.ClientBase });
    this.on('release', (_err: unknown, client: unknown) => {
      if (client instanceof BeginPipeliningClient) client.dropHeldBegin();
    });
  }
}

/** pg with the pool above: TypeORM's `driver` option. Everything else is pg's own (the prototype). */
export const beginPipeliningPg: typeof pg = Object.create(pg, {
  Pool: { value: BeginPipeliningPool },
}) as typeof pg;
