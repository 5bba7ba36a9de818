import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { JsonObject } from '../platform/json.js';

/** One delivery's key in outbound_delivery: (job, channel, target). */
export interface DeliveryRowKey {
  readonly jobId: string;
  readonly channel: string;
  /** Cut to the column's 500 characters by the caller. */
  readonly target: string;
}

/** Where a delivery that could not be claimed stands. */
export interface DeliveryState {
  readonly status: string;
  readonly response: JsonObject | null;
  /** When the current claim goes stale; null when unclaimed. */
  readonly lapsesAt: Date | null;
}

/** SQL over outbound_delivery, the ledger of calls to peers (see DeliveryLedger for the rules). */
@Injectable()
export class DeliveryRepository {
  /**
   * Claim the delivery (row `sending`): a new one, one that failed, or one whose claim is older than
   * `staleSeconds`. False when it is sent or claimed by another run.
   */
  async claim(
    manager: EntityManager,
    key: DeliveryRowKey & { readonly jobType: string; readonly releaseId: string | null },
    request: JsonObject,
    staleSeconds: number,
  ): Promise<boolean> {
    const claimed: unknown[] = await manager.query(
      `INSERT INTO outbound_delivery
         (job_id, job_type, release_id, channel, target, status, attempts, request, claimed_at)
       VALUES ($1, $2, $3, $4, $5, 'sending', 1, $6, now())
       ON CONFLICT (job_id, channel, target) DO UPDATE
         SET status = 'sending', attempts = outbound_delivery.attempts + 1, claimed_at = now(),
             request = EXCLUDED.request, error = NULL
         WHERE outbound_delivery.status = 'failed'
            OR (outbound_delivery.status = 'sending'
                AND outbound_delivery.claimed_at < now() - make_interval(secs => $7))
       RETURNING id`,
      [key.jobId, key.jobType, key.releaseId, key.channel, key.target, JSON.stringify(request), staleSeconds],
    );
    return claimed.length > 0;
  }

  /** The delivery as it stands, with the moment its claim goes stale; null when there is no row. */
  async state(
    manager: EntityManager,
    key: DeliveryRowKey,
    staleSeconds: number,
  ): Promise<DeliveryState | null> {
    const rows: Array<{ status: string; response: JsonObject | null; lapses_at: Date | null }> =
      await manager.query(
        `SELECT status, response, claimed_at + make_interval(secs => $4) AS lapses_at
           FROM outbound_delivery WHERE job_id = $1 AND channel = $2 AND target = $3`,
        [key.jobId, key.channel, key.target, staleSeconds],
      );
    const row = rows[0];
    return row
      ? {
          status: row.status,
          response: row.response,
          lapsesAt: row.lapses_at ? new Date(row.lapses_at) : null,
        }
      : null;
  }

  async markSent(manager: EntityManager, key: DeliveryRowKey, response: JsonObject | null): Promise<void> {
    await manager.query(
      `UPDATE outbound_delivery SET status = 'sent', sent_at = now(), response = $4
        WHERE job_id = $1 AND channel = $2 AND target = $3`,
      [key.jobId, key.channel, key.target, JSON.stringify(response)],
    );
  }

  async markFailed(manager: EntityManager, key: DeliveryRowKey, error: string): Promise<void> {
    await manager.query(
      `UPDATE outbound_delivery SET status = 'failed', error = $4
        WHERE job_id = $1 AND channel = $2 AND target = $3`,
      [key.jobId, key.channel, key.target, error],
    );
  }
}
