import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { FaultInjector } from '../platform/fault-injector.js';
import type { JsonObject } from '../platform/json.js';
import { DeliveryRepository } from './delivery.repository.js';
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
    @Inject(DeliveryRepository) private readonly deliveries: DeliveryRepository,
  ) {}

  async deliver(
    manager: EntityManager,
    key: DeliveryKey,
    request: JsonObject,
    send: () => Promise<JsonObject | null>,
  ): Promise<Delivered> {
    const staleSeconds = (this.config.serviceTasks.outboundTimeoutMs * 3) / 1000;
    const row = { jobId: key.jobId, channel: key.channel, target: key.target.slice(0, 500) };
    const claimed = await this.deliveries.claim(
      manager,
      { ...row, jobType: key.jobType, releaseId: key.releaseId },
      request,
      staleSeconds,
    );
    if (!claimed) {
      const state = await this.deliveries.state(manager, row, staleSeconds);
      if (state?.status === 'sent') {
        return {
          channel: key.channel,
          target: key.target,
          status: 'already-sent',
          response: state.response,
        };
      }
      // Gone between the two statements (a failed claim retried elsewhere): look again in a moment.
      const retryAt = state?.lapsesAt ?? new Date(Date.now() + 1000);
      throw new DeliveryBusyError(
        `${key.channel} to ${key.target} is being sent by another worker (claim lapses at ${retryAt.toISOString()})`,
        retryAt,
      );
    }

    try {
      const response = await send();
      this.faults.crashIfArmed('after-delivery', key.channel);
      await this.deliveries.markSent(manager, row, response);
      return { channel: key.channel, target: key.target, status: 'sent', response };
    } catch (err) {
      await this.deliveries.markFailed(
        manager,
        row,
        (err instanceof Error ? err.message : String(err)).slice(0, 4000),
      );
      throw err;
    }
  }
}
