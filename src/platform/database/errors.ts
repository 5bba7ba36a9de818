import { QueryFailedError } from 'typeorm';

/** PostgreSQL refused a row because a unique constraint already holds its key (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === '23505'
  );
}

/** Socket-level failures: the server went away or never answered. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs that mean "no usable connection", not "bad statement": class 08 (connection exception),
 * 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now: a restart) and 53300 (too many
 * connections).
 */
function isConnectionSqlState(code: string): boolean {
  return code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code);
}

/**
 * 57014: PostgreSQL cancelled the statement (DATABASE_STATEMENT_TIMEOUT_MS ran out, most often waiting for a lock);
 * 25P03: it ended a transaction left idle that long. Nothing was committed; the request may be retried.
 */
const TIMEOUT_SQL_STATES = new Set(['57014', '25P03']);

/** Messages of node-postgres and its pool that carry no code. */
const CONNECTION_MESSAGES = [
  /^Connection terminated/, // unexpectedly, due to connection timeout, ...
  /timeout exceeded when trying to connect/, // pg-pool's connectionTimeoutMillis
  /is not queryable/, // a client that already lost its connection
  /^Connection is not established/, // TypeORM before (re)connecting
];

/**
 * Whether an error (a TypeORM QueryFailedError, a pg error, a socket error, possibly wrapped in `cause`
 * or an AggregateError) means PostgreSQL cannot be reached right now: the request may be retried, and
 * the answer is 503, not 500. The one place that knows the shapes of connection loss.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [err];
  while (pending.length > 0) {
    const current = pending.pop();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    const { code, message, driverError, cause, errors } = current as {
      code?: unknown;
      message?: unknown;
      driverError?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (
      typeof code === 'string' &&
      (CONNECTION_ERROR_CODES.has(code) || isConnectionSqlState(code) || TIMEOUT_SQL_STATES.has(code))
    ) {
      return true;
    }
    if (typeof message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(message))) {
      return true;
    }
    pending.push(driverError, cause, ...(Array.isArray(errors) ? errors : []));
  }
  return false;
}
