import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** An outbox row as the relay needs it: which job goes on which queue, when, with how many attempts. */
export interface OutboxMessage {
  /** The queue job id: adding it twice adds it once. */
  readonly id: string;
  readonly jobId: string;
  readonly queue: string;
  readonly dueAt: Date | null;
  readonly maxAttempts: number;
  /** Written claimed for this process's own workers (LocalJobDispatch): run here after the commit. */
  readonly local?: boolean;
}

interface OutboxRow {
  id: string;
  job_id: string;
  queue: string;
  due_at: Date | null;
  max_attempts: number;
}

/**
 * SQL over the outbox (`outbox`) for the relay and those who watch it. Each statement stands alone: no
 * transaction is held while the relay talks to Redis.
 */
@Injectable()
export class OutboxRepository {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Age in seconds of the oldest message not yet put on its queue; 0 when none waits. */
  async relayLagSeconds(): Promise<number> {
    const rows: Array<{ lag: number | null }> = await this.dataSource.query(
      `SELECT extract(epoch FROM now() - min(created_at))::float AS lag FROM outbox WHERE relayed_at IS NULL`,
    );
    return rows[0]?.lag ?? 0;
  }

  /**
   * Claim up to `limit` messages not on their queue yet, written more than `graceMs` ago (younger ones are the
   * after-commit relay's) and not claimed by another sweep within `leaseMs`. One statement: the claim outlives
   * its transaction, which ends before the messages go to Redis.
   */
  async claimUnrelayed(graceMs: number, leaseMs: number, limit: number): Promise<OutboxMessage[]> {
    // TypeORM answers an UPDATE ... RETURNING with [rows, affected count].
    const [rows]: [OutboxRow[], number] = await this.dataSource.query(
      `UPDATE outbox SET claimed_at = now()
        WHERE id IN (SELECT id FROM outbox
                      WHERE relayed_at IS NULL AND created_at < now() - make_interval(secs => $1)
                        AND (claimed_at IS NULL OR claimed_at < now() - make_interval(secs => $2))
                      ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING id, job_id, queue, due_at, max_attempts`,
      [graceMs / 1000, leaseMs / 1000, limit],
    );
    return rows.map((row) => ({
      id: row.id,
      jobId: row.job_id,
      queue: row.queue,
      dueAt: row.due_at ? new Date(row.due_at) : null,
      maxAttempts: row.max_attempts,
    }));
  }

  /** The messages are on their queues. */
  async markRelayed(ids: readonly string[]): Promise<void> {
    await this.dataSource.query(
      'UPDATE outbox SET relayed_at = now(), claimed_at = NULL WHERE id = ANY($1::uuid[])',
      [ids],
    );
  }

  /** Messages still held by the process that claimed them: their claims start afresh. */
  async renewClaims(ids: readonly string[]): Promise<void> {
    await this.dataSource.query(
      'UPDATE outbox SET claimed_at = now() WHERE id = ANY($1::uuid[]) AND relayed_at IS NULL',
      [ids],
    );
  }

  /** Give claimed messages back (Redis refused them), so the next sweep takes them without waiting for the lease. */
  async releaseClaims(ids: readonly string[]): Promise<void> {
    await this.dataSource.query(
      'UPDATE outbox SET claimed_at = NULL WHERE id = ANY($1::uuid[]) AND relayed_at IS NULL',
      [ids],
    );
  }

  /**
   * Marks the newest message of every pending job unrelayed, so the sweep puts it on its queue again. Redis is
   * only the transport: after it lost its data (or the database was restored) a pending job or a timer's
   * wake-up would otherwise never run. Where the queue still holds the message, adding it again is a no-op.
   */
  async reofferPending(): Promise<void> {
    await this.dataSource.query(
      `UPDATE outbox SET relayed_at = NULL, claimed_at = NULL
        WHERE relayed_at IS NOT NULL
          AND id IN (SELECT DISTINCT ON (o.job_id) o.id FROM outbox o JOIN job j ON j.id = o.job_id
                      WHERE j.status = 'pending' ORDER BY o.job_id, o.created_at DESC)`,
    );
  }
}
