import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import type { JsonObject } from '../../platform/json.js';
import { ROLES, type Role } from '../../identity/user.entity.js';
import { toText, webhookRefusal, webhookRequest, WEBHOOK_KINDS, type WebhookKind } from './chat-webhooks.js';
import { OutboundHttp } from '../../platform/outbound-http.js';
import { MailSender } from './mail-sender.js';
import {
  composeMessage,
  isTemplate,
  templateSpec,
  type Message,
  type MessageFacts,
  type NotifyTemplate,
} from './notify-templates.js';
import { RecipientRepository, type Recipient } from './recipient.repository.js';

/** What the notify job is asked: the event, the release as far as known, the headers of the task. */
export interface NotifyRequest {
  readonly deliveryId: string;
  readonly template: string | undefined;
  readonly release: {
    readonly id: string;
    readonly number: string;
    readonly title: string;
    readonly releaseClass: string;
    readonly status: string;
    readonly createdBy: string | null;
  } | null;
  readonly version: string | null;
  readonly distributionScope: string | null;
  readonly distributionMethods: readonly string[];
  readonly variables: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
}

/** One message to one recipient on one channel; `target` is the key of its delivery. */
export type PlannedDelivery =
  | {
      readonly channel: 'email';
      readonly target: string;
      readonly mail: { subject: string; text: string; html: string };
    }
  | {
      readonly channel: `webhook:${WebhookKind}`;
      readonly target: string;
      readonly kind: WebhookKind;
      readonly message: Message;
    };

export interface NotificationPlan {
  readonly template: NotifyTemplate;
  readonly message: Message;
  /** usernames, or addresses of recipients who are not users */
  readonly recipients: readonly string[];
  readonly deliveries: readonly PlannedDelivery[];
  /** Why a channel or recipient was left out (no address, method not chosen, paper, ...). */
  readonly skipped: readonly string[];
}

const EMAIL = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;
const CHAT_METHODS = new Set(['intranet', 'telegram']);

/**
 * Who is told what, and how (release-procedure: notify). Recipients come from the template's roles, the
 * applicant who filed the release, the task headers `roles` and `users` (comma separated), and for the
 * distribution notice (`released`) the release's distribution scope: addresses, usernames and role ids in
 * it. Channels are those configured; for the distribution notice only those its distribution methods ask for
 * (`email` by mail, `intranet` and `telegram` through the chat robots, `paper` by hand, recorded as such).
 */
@Injectable()
export class NotifyService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RecipientRepository) private readonly recipients: RecipientRepository,
    @Inject(MailSender) private readonly mail: MailSender,
    @Inject(OutboundHttp) private readonly http: OutboundHttp,
  ) {}

  /** True when at least one channel (SMTP or a webhook) is configured. */
  get anyChannel(): boolean {
    const { smtp, webhooks } = this.config.serviceTasks;
    return smtp !== undefined || Object.values(webhooks).some((w) => w !== undefined);
  }

  async plan(manager: EntityManager, request: NotifyRequest): Promise<NotificationPlan> {
    const template: NotifyTemplate =
      request.template && isTemplate(request.template) ? request.template : 'notice';
    if (request.template && !isTemplate(request.template)) {
      throw new UnknownTemplateError(`unknown notification template "${request.template}"`);
    }
    const spec = templateSpec(template);
    const facts: MessageFacts = {
      number: request.release?.number ?? null,
      title: request.release?.title ?? null,
      releaseClass: request.release?.releaseClass ?? null,
      version: request.version,
      distributionScope: request.distributionScope,
      distributionMethods: request.distributionMethods,
      variables: request.variables,
      headers: request.headers,
    };
    const message = composeMessage(template, facts, this.config.serviceTasks.notifyLanguage);
    const skipped: string[] = [];

    const roles = new Set<string>([...spec.roles, ...list(request.headers.roles).filter(isRole)]);
    if (template === 'escalation') roles.add(this.config.escalationGroup);
    const usernames = new Set<string>(list(request.headers.users));
    const addresses = new Set<string>();
    if (spec.filer) {
      if (request.release?.createdBy) usernames.add(request.release.createdBy);
      else roles.add('applicant');
    }
    if (spec.distribution && request.distributionScope) {
      for (const token of list(request.distributionScope, /[\s,;，；、]+/)) {
        if (EMAIL.test(token)) addresses.add(token.toLowerCase());
        else if (isRole(token)) roles.add(token);
        else usernames.add(token.toLowerCase());
      }
    }
    const users = await this.recipients.find(manager, [...roles], [...usernames]);
    const people: Recipient[] = [...users];
    for (const address of addresses) {
      if (!users.some((u) => u.email?.toLowerCase() === address)) {
        people.push({ username: null, displayName: address, email: address });
      }
    }

    const methods = new Set(request.distributionMethods);
    const byMethod = spec.distribution && methods.size > 0;
    const mailOn = this.mail.enabled && (!byMethod || methods.has('email'));
    const chatOn = !byMethod || [...methods].some((m) => CHAT_METHODS.has(m));
    if (byMethod && methods.has('paper')) skipped.push('paper: distributed by hand');
    if (this.mail.enabled && !mailOn) skipped.push('email: not a distribution method of this release');

    const deliveries: PlannedDelivery[] = [];
    if (mailOn) {
      const mail = { subject: message.subject, text: toText(message), html: toHtml(message) };
      const seen = new Set<string>();
      for (const person of people) {
        const address = person.email?.trim().toLowerCase();
        if (!address || !EMAIL.test(address)) {
          skipped.push(`email: ${person.username ?? person.displayName} has no address`);
          continue;
        }
        if (seen.has(address)) continue;
        seen.add(address);
        deliveries.push({ channel: 'email', target: address, mail });
      }
    }
    for (const kind of WEBHOOK_KINDS) {
      const hook = this.config.serviceTasks.webhooks[kind];
      if (!hook) continue;
      if (!chatOn) {
        skipped.push(`webhook:${kind}: not a distribution method of this release`);
        continue;
      }
      deliveries.push({ channel: `webhook:${kind}`, target: hookTarget(hook.url), kind, message });
    }
    return {
      template,
      message,
      recipients: people.map((p) => p.username ?? p.email ?? p.displayName),
      deliveries,
      skipped,
    };
  }

  /** Send one planned delivery; the reply is what gets recorded. Throws when the peer refuses. */
  async send(delivery: PlannedDelivery, request: NotifyRequest, plan: NotificationPlan): Promise<JsonObject> {
    if (delivery.channel === 'email') {
      const keyHash = createHash('sha256').update(delivery.target).digest('hex').slice(0, 16);
      const sent = await this.mail.send({
        to: delivery.target,
        subject: delivery.mail.subject,
        text: delivery.mail.text,
        html: delivery.mail.html,
        messageId: `<${request.deliveryId}.${keyHash}@release-flow>`,
        headers: { 'X-Release-Flow-Delivery': request.deliveryId },
      });
      return { messageId: sent.messageId, response: sent.response };
    }
    const hook = this.config.serviceTasks.webhooks[delivery.kind];
    if (!hook) throw new Error(`webhook ${delivery.kind} is no longer configured`);
    const outgoing = webhookRequest(delivery.kind, hook, delivery.message, {
      deliveryId: request.deliveryId,
      template: plan.template,
      release: request.release ? { ...request.release, version: request.version } : null,
      recipients: plan.recipients,
    });
    const reply = await this.http.postJson(outgoing.url, outgoing.body, outgoing.headers);
    const refusal = webhookRefusal(delivery.kind, reply.body);
    if (refusal) throw new Error(`the ${delivery.kind} robot refused the message: ${refusal}`);
    return { status: reply.status, body: reply.body as JsonObject };
  }
}

/** A definition names a template the service does not know: retrying cannot help. */
export class UnknownTemplateError extends Error {}

function list(value: string | undefined, separator: RegExp = /\s*,\s*/): string[] {
  return (value ?? '')
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean);
}

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** A robot's URL without its query (the access token): the key of its delivery and what the history shows. */
function hookTarget(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function toHtml(message: Message): string {
  const body = message.lines.map((line) => (line === '—' ? '<hr>' : `<p>${escapeHtml(line)}</p>`)).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(message.subject)}</title></head><body><h3>${escapeHtml(message.subject)}</h3>\n${body}</body></html>`;
}
