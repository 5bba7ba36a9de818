import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { JobContext } from '../../queue/job-handler.port.js';
import { DeliveryLedger } from '../../queue/delivery-ledger.service.js';
import { OutboundHttp, redact } from '../../platform/outbound-http.js';
import { postToPeer } from '../peer-delivery.js';
import type { ReleaseFacts, ReleaseNaming } from '../release-facts.js';

export interface PushedItem {
  readonly name: string;
  readonly type: string;
  readonly version: string | null;
  readonly previousVersion: string | null;
}

export type PushOutcome =
  | { readonly pushed: false; readonly note: string }
  | { readonly pushed: true; readonly status: 'sent' | 'already-sent'; readonly url: string };

/**
 * Pushes a CMDB change to the external CMDB (CMDB_EXTERNAL_URL, bearer CMDB_EXTERNAL_TOKEN) when one is
 * configured: `POST <url>` with `{idempotencyKey, action, release, items}`, once per job (delivery ledger).
 */
@Injectable()
export class ExternalCmdbPusher {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DeliveryLedger) private readonly ledger: DeliveryLedger,
    @Inject(OutboundHttp) private readonly http: OutboundHttp,
  ) {}

  async push(
    manager: EntityManager,
    context: JobContext,
    facts: ReleaseFacts<ReleaseNaming>,
    action: 'build' | 'install' | 'rollback',
    items: readonly PushedItem[],
  ): Promise<PushOutcome> {
    const peer = this.config.serviceTasks.externalCmdb;
    if (!peer) return { pushed: false, note: 'no external CMDB is configured' };
    if (items.length === 0) return { pushed: false, note: 'no change to push' };
    const body = {
      idempotencyKey: context.jobId,
      action,
      release: {
        id: facts.release.id,
        number: facts.release.number,
        title: facts.release.title,
        class: facts.release.releaseClass,
        version: facts.version,
      },
      items,
    };
    const delivered = await postToPeer(
      this.ledger,
      this.http,
      manager,
      { context, releaseId: facts.release.id, channel: 'cmdb-push' },
      peer,
      body,
    );
    return { pushed: true, status: delivered.status, url: redact(peer.url) };
  }
}
