import type { EntityManager, QueryRunner } from 'typeorm';

/**
 * Serialise writers that check-then-insert on the same key (deploy of one process key, the first
 * administrator, one PSL checksum) for the rest of the caller's transaction. PostgreSQL releases the
 * lock at commit or rollback, so a failing transaction cannot leave it held.
 */
export async function lockForTransaction(manager: EntityManager, key: string): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
}

/**
 * Hold a session-level advisory lock on a fixed number while `fn` runs on `runner`'s connection
 * (migrations, which manage their own transactions). The lock is released even when `fn` fails; a failed
 * unlock (connection already gone) is ignored, since PostgreSQL drops session locks with the session.
 */
export async function withSessionLock<T>(runner: QueryRunner, key: number, fn: () => Promise<T>): Promise<T> {
  await runner.query('SELECT pg_advisory_lock($1)', [key]);
  try {
    return await fn();
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
  }
}
