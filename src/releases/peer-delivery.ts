import type { EntityManager } from 'typeorm';
import type { HttpPeerConfig } from '../config/app-config.js';
import type { JsonObject } from '../platform/json.js';
import { type OutboundHttp, redact } from '../platform/outbound-http.js';
import type { Delivered, DeliveryLedger } from '../queue/delivery-ledger.service.js';
import type { JobContext } from '../queue/job-handler.port.js';

/**
 * POST a JSON body to a configured peer (external CMDB, rollback hook) once per job and channel, through the
 * delivery ledger: the job id goes as the `X-Idempotency-Key` header (the body carries it as `idempotencyKey`),
 * the peer's token as a bearer; the ledger records the peer's URL without its query string.
 */
export async function postToPeer(
  ledger: DeliveryLedger,
  http: OutboundHttp,
  manager: EntityManager,
  delivery: { readonly context: JobContext; readonly releaseId: string; readonly channel: string },
  peer: HttpPeerConfig,
  body: JsonObject,
): Promise<Delivered> {
  const { context, releaseId, channel } = delivery;
  return ledger.deliver(
    manager,
    { jobId: context.jobId, jobType: context.jobType, releaseId, channel, target: redact(peer.url) },
    body,
    async () => {
      const reply = await http.postJson(peer.url, body, {
        'x-idempotency-key': context.jobId,
        ...(peer.token ? { authorization: `Bearer ${peer.token}` } : {}),
      });
      return { status: reply.status, body: reply.body as never };
    },
  );
}
