import { Inject, Injectable } from '@nestjs/common';
import { UnrecoverableError } from 'bullmq';
import type { EntityManager } from 'typeorm';
import { isTemplate } from './notify-templates.js';
import { NotifyService, UnknownTemplateError, type NotifyRequest } from './notify.service.js';
import type { JobContext, JobHandler, JobResult } from '../../queue/job-handler.port.js';
import { DeliveryBusyError, DeliveryLedger, type Delivered } from '../../queue/delivery-ledger.service.js';
import { JobHandlerFor } from '../../queue/job-handler.decorators.js';
import { loadReleaseFacts } from '../release-facts.js';

const MAX_LISTED = 100;

/**
 * notify: tells people about a release event by mail and chat robots (header `template`; optional headers
 * `roles` and `users`). Each (channel, recipient) is one delivery in the ledger: a retry sends only what
 * has not gone out yet. No channel configured: nothing is sent, and the outcome says so.
 */
@Injectable()
@JobHandlerFor()
export class NotifyJobHandler implements JobHandler {
  readonly jobType = 'notify';

  constructor(
    @Inject(DeliveryLedger) private readonly ledger: DeliveryLedger,
    @Inject(NotifyService) private readonly notify: NotifyService,
  ) {}

  async handle(context: JobContext, manager: EntityManager): Promise<JobResult> {
    const template = context.headers.template;
    if (template !== undefined && !isTemplate(template)) {
      throw new UnrecoverableError(`unknown notification template "${template}"`);
    }
    if (!this.notify.anyChannel) {
      return {
        outcome: {
          template: template ?? 'notice',
          sent: 0,
          note: 'no notification channel is configured (SMTP_HOST, NOTIFY_*_URL): nothing was sent',
        },
      };
    }
    const facts = await loadReleaseFacts(context, manager);
    const request: NotifyRequest = {
      deliveryId: context.jobId,
      template,
      release: facts
        ? {
            id: facts.release.id,
            number: facts.release.number,
            title: facts.release.title,
            releaseClass: facts.release.releaseClass,
            status: facts.release.status,
            createdBy: facts.release.createdBy,
          }
        : null,
      version: facts?.version ?? null,
      distributionScope: facts?.distributionScope ?? null,
      distributionMethods: facts?.distributionMethods ?? [],
      variables: context.variables,
      headers: context.headers,
    };
    let plan;
    try {
      plan = await this.notify.plan(manager, request);
    } catch (err) {
      if (err instanceof UnknownTemplateError) throw new UnrecoverableError(err.message);
      throw err;
    }

    const delivered: Delivered[] = [];
    const failures: string[] = [];
    let busyUntil: Date | undefined;
    for (const delivery of plan.deliveries) {
      try {
        delivered.push(
          await this.ledger.deliver(
            manager,
            {
              jobId: context.jobId,
              jobType: context.jobType,
              releaseId: facts?.release.id ?? null,
              channel: delivery.channel,
              target: delivery.target,
            },
            { template: plan.template, subject: plan.message.subject },
            () => this.notify.send(delivery, request, plan),
          ),
        );
      } catch (err) {
        if (err instanceof DeliveryBusyError && (!busyUntil || err.retryAt > busyUntil))
          busyUntil = err.retryAt;
        failures.push(
          `${delivery.channel} ${delivery.target}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    if (failures.length > 0) {
      const summary = `notify ${plan.template}: ${failures.length} of ${plan.deliveries.length} deliveries failed (those sent are not sent again): ${failures.join('; ')}`;
      // A delivery held by another (perhaps dead) worker: come back when its claim lapses, at no attempt's cost;
      // the failed ones are retried then too.
      if (busyUntil) throw new DeliveryBusyError(summary, busyUntil);
      throw new Error(summary);
    }
    return {
      outcome: {
        template: plan.template,
        subject: plan.message.subject,
        recipients: plan.recipients.slice(0, MAX_LISTED),
        sent: delivered.filter((d) => d.status === 'sent').length,
        alreadySent: delivered.filter((d) => d.status === 'already-sent').length,
        deliveries: delivered.slice(0, MAX_LISTED).map((d) => `${d.channel} ${d.target}`),
        ...(plan.deliveries.length === 0 ? { note: 'nobody to tell on the configured channels' } : {}),
        ...(plan.skipped.length ? { skipped: plan.skipped.slice(0, MAX_LISTED) } : {}),
      },
    };
  }
}
