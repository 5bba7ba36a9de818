import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { parseCiSpecs } from '../cmdb/ci-spec.js';
import { CmdbService } from '../cmdb/cmdb.service.js';
import type { JobContext, JobHandler, JobResult } from '../../queue/job-handler.port.js';
import { DeliveryLedger } from '../../queue/delivery-ledger.service.js';
import { ExternalCmdbPusher } from '../cmdb/external-cmdb.js';
import { JobHandlerFor } from '../../queue/job-handler.decorators.js';
import { OutboundHttp } from '../../platform/outbound-http.js';
import { postToPeer } from '../peer-delivery.js';
import { requireReleaseFacts, type ReleaseFacts } from '../release-facts.js';

/**
 * release.rollback (发布回退): calls the rollback hook (ROLLBACK_HOOK_URL: the runbook that undoes the change)
 * with the release, its configuration items and their baseline versions, and records its answer; then puts
 * the items back at their baseline versions in the CMDB (and the external CMDB). A hook that fails fails the
 * step (retries, then an incident) before the CMDB is touched. The flow then goes on along its rollback path.
 */
@Injectable()
@JobHandlerFor()
export class ReleaseRollbackJobHandler implements JobHandler {
  readonly jobType = 'release.rollback';

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DeliveryLedger) private readonly ledger: DeliveryLedger,
    @Inject(OutboundHttp) private readonly http: OutboundHttp,
    @Inject(CmdbService) private readonly cmdb: CmdbService,
    @Inject(ExternalCmdbPusher) private readonly external: ExternalCmdbPusher,
  ) {}

  async handle(context: JobContext, manager: EntityManager): Promise<JobResult> {
    const facts = await requireReleaseFacts(context, manager);
    const names = parseCiSpecs(facts.configurationItems).map((i) => i.name);
    const baseline = await this.cmdb.baseline(manager, facts.release.id, names);
    const hook = await this.callHook(context, manager, facts, baseline);
    const restored = await this.cmdb.restoreBaseline(manager, {
      jobId: context.jobId,
      releaseId: facts.release.id,
      details: { reason: reasonOf(facts) },
    });
    const externalCmdb = await this.external.push(
      manager,
      context,
      facts,
      'rollback',
      restored
        .filter((r) => r.restored)
        .map((r) => ({
          name: r.name,
          type: r.type,
          version: r.baselineVersion,
          previousVersion: r.versionBefore,
        })),
    );
    return {
      outcome: {
        hook,
        restored: restored.map((r) => ({
          name: r.name,
          baselineVersion: r.baselineVersion,
          from: r.versionBefore,
          restored: r.restored,
        })),
        externalCmdb,
      },
    };
  }

  private async callHook(
    context: JobContext,
    manager: EntityManager,
    facts: ReleaseFacts,
    baseline: ReadonlyArray<{
      name: string;
      type: string;
      baselineVersion: string | null;
      currentVersion: string | null;
    }>,
  ) {
    const peer = this.config.serviceTasks.rollbackHook;
    if (!peer) return { called: false, note: 'no rollback hook is configured (ROLLBACK_HOOK_URL)' };
    const body = {
      idempotencyKey: context.jobId,
      event: 'rollback',
      release: {
        id: facts.release.id,
        number: facts.release.number,
        title: facts.release.title,
        class: facts.release.releaseClass,
        version: facts.version,
        rollbackPlan: facts.rollbackPlan,
      },
      reason: reasonOf(facts),
      items: baseline,
    };
    const delivered = await postToPeer(
      this.ledger,
      this.http,
      manager,
      { context, releaseId: facts.release.id, channel: 'rollback-hook' },
      peer,
      body,
    );
    const response = delivered.response ?? {};
    return {
      called: true,
      status: delivered.status,
      httpStatus: response.status ?? null,
      response: truncate(response.body),
    };
  }
}

function reasonOf(facts: ReleaseFacts): Record<string, unknown> {
  const v = facts.variables;
  const pick = (key: string) => (v[key] === undefined ? {} : { [key]: v[key] });
  return { ...pick('installResult'), ...pick('failureReason'), ...pick('verificationResult') };
}

/** The hook's answer as recorded in the history: JSON up to 2000 characters. */
function truncate(body: unknown): unknown {
  const text = JSON.stringify(body ?? null);
  return text.length <= 2000 ? body : `${text.slice(0, 2000)}…`;
}
