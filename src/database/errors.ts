import { QueryFailedError } from 'typeorm';

/** PostgreSQL refused a row because a unique constraint already holds its key (SQLSTATE 23505). */
export function isUniqueViolation(err: unknown): boolean {
  return (
    err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === '23505'
  );
}
