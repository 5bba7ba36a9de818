import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { FaultInjector } from '../platform/fault-injector.js';
import type { JsonObject } from '../platform/json.js';
import { JobNotReadyError } from './job-handler.port.js';

export interface DeliveryKey {
  readonly jobId: string;
  readonly jobType: string;
  readonly releaseId: string | null;
  /** email, webhook:generic, webhook:wecom, webhook:dingtalk, webhook:feishu, cmdb-push, rollback-hook */
  readonly channel: string;
  /** The recipient's address or the peer's URL (without its query string). */
  readonly target: string;
}

export interface Delivered {
  readonly channel: string;
  readonly target: string;
  /** sent now, or sent by an earlier run of the same job (then nothing was sent this time). */
  readonly status: 'sent' | 'already-sent';
  readonly response: JsonObject | null;
}

/**
 * Another worker holds the same delivery: a duplicate message of a job still running, or a worker that died
 * holding the claim. The job waits until the claim lapses (`retryAt`) instead of spending an attempt.
 */
export class DeliveryBusyError extends JobNotReadyError {
  constructor(message: string, retryAt: Date) {
    super(message, retryAt);
    this.name = 'DeliveryBusyError';
  }
}

/**
 * Every call a job makes to a peer goes through here, keyed by (job, channel, target).
 *
 * Guarantee: AT-LEAST-ONCE to the peer, deduplicated on our side. A delivery is claimed (row `sending`)
 * before the call and marked `sent` after the peer accepted it; a later run of the same job skips what is
 * `sent`, retries what `failed`, and waits for a claim another worker holds. Only a crash (or a lost reply)
 * between the peer accepting and our `sent` commit makes the next run send again, once the claim is stale
 * (3 × OUTBOUND_TIMEOUT_MS after it was taken: no send of the claimant can still be under way). Until then the
 * next run is told to come back when the claim lapses (DeliveryBusyError), which costs the job no attempt.
 * Peers get the job id as an idempotency key (Message-ID, X-Idempotency-Key header, `idempotencyKey` field)
 * to drop such a repeat on their side.
 */
@Injectable()
export class DeliveryLedger {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(FaultInjector) private readonly faults: FaultInjector,
  ) {}

  async deliver(
    manager: EntityManager,
    key: DeliveryKey,
    request: JsonObject,
    send: () => Promise<JsonObject | null>,
  ): Promise<Delivered> {
    const staleSeconds = (this.config.serviceTasks.outboundTimeoutMs * 3) / 1000;
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
      [
        key.jobId,
        key.jobType,
        key.releaseId,
        key.channel,
        key.target.slice(0, 500),
        JSON.stringify(request),
        staleSeconds,
      ],
    );
    if (claimed.length === 0) {
      const rows: Array<{ status: string; response: JsonObject | null; lapses_at: Date | null }> =
        await manager.query(
          `SELECT status, response, claimed_at + make_interval(secs => $4) AS lapses_at
             FROM outbound_delivery WHERE job_id = $1 AND channel = $2 AND target = $3`,
          [key.jobId, key.channel, key.target.slice(0, 500), staleSeconds],
        );
      if (rows[0]?.status === 'sent') {
        return {
          channel: key.channel,
          target: key.target,
          status: 'already-sent',
          response: rows[0].response,
        };
      }
      // Gone between the two statements (a failed claim retried elsewhere): look again in a moment.
      const retryAt = rows[0]?.lapses_at ? new Date(rows[0].lapses_at) : new Date(Date.now() + 1000);
      throw new DeliveryBusyError(
        `${key.channel} to ${key.target} is being sent by another worker (claim lapses at ${retryAt.toISOString()})`,
        retryAt,
      );
    }

    try {
      const response = await send();
      this.faults.crashIfArmed('after-delivery', key.channel);
      await manager.query(
        `UPDATE outbound_delivery SET status = 'sent', sent_at = now(), response = $4
          WHERE job_id = $1 AND channel = $2 AND target = $3`,
        [key.jobId, key.channel, key.target.slice(0, 500), JSON.stringify(response)],
      );
      return { channel: key.channel, target: key.target, status: 'sent', response };
    } catch (err) {
      await manager.query(
        `UPDATE outbound_delivery SET status = 'failed', error = $4
          WHERE job_id = $1 AND channel = $2 AND target = $3`,
        [
          key.jobId,
          key.channel,
          key.target.slice(0, 500),
          (err instanceof Error ? err.message : String(err)).slice(0, 4000),
        ],
      );
      throw err;
    }
  }
}
