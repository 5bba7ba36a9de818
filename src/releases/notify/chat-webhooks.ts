import { createHmac } from 'node:crypto';
import type { WebhookConfig } from '../../config/app-config.js';
import type { Message } from './notify-templates.js';

export const WEBHOOK_KINDS = ['generic', 'wecom', 'dingtalk', 'feishu'] as const;
export type WebhookKind = (typeof WEBHOOK_KINDS)[number];

/** Who the message is about, for the generic webhook's JSON and the idempotency key. */
export interface WebhookMeta {
  readonly deliveryId: string;
  readonly template: string;
  readonly release: Record<string, unknown> | null;
  readonly recipients: readonly string[];
}

export interface WebhookRequest {
  readonly url: string;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;
}

/**
 * The request each robot expects:
 * - generic: our own JSON (event, release, subject, text, markdown, recipients), signed with HMAC-SHA256 of
 *   the body in X-Release-Flow-Signature when a secret is set;
 * - WeCom (企业微信) group robot: `{msgtype: "markdown", markdown: {content}}`;
 * - DingTalk (钉钉) custom robot: `{msgtype: "markdown", markdown: {title, text}}`, signed with
 *   `timestamp` and `sign` query parameters when a secret is set;
 * - Feishu (飞书) custom bot: `{msg_type: "text", content: {text}}`, with `timestamp` and `sign` in the body
 *   when a secret is set.
 */
export function webhookRequest(
  kind: WebhookKind,
  config: WebhookConfig,
  message: Message,
  meta: WebhookMeta,
  now = new Date(),
): WebhookRequest {
  const markdown = toMarkdown(message);
  switch (kind) {
    case 'generic': {
      const body = {
        idempotencyKey: meta.deliveryId,
        event: meta.template,
        release: meta.release,
        subject: message.subject,
        text: toText(message),
        markdown,
        recipients: meta.recipients,
      };
      const headers: Record<string, string> = { 'x-idempotency-key': meta.deliveryId };
      if (config.secret) {
        headers['x-release-flow-signature'] =
          `sha256=${createHmac('sha256', config.secret).update(JSON.stringify(body)).digest('hex')}`;
      }
      return { url: config.url, body, headers };
    }
    case 'wecom':
      return { url: config.url, body: { msgtype: 'markdown', markdown: { content: markdown } }, headers: {} };
    case 'dingtalk': {
      let url = config.url;
      if (config.secret) {
        const timestamp = String(now.getTime());
        const sign = createHmac('sha256', config.secret)
          .update(`${timestamp}\n${config.secret}`)
          .digest('base64');
        const signed = new URL(url);
        signed.searchParams.set('timestamp', timestamp);
        signed.searchParams.set('sign', sign);
        url = signed.toString();
      }
      return {
        url,
        body: { msgtype: 'markdown', markdown: { title: message.subject, text: markdown } },
        headers: {},
      };
    }
    case 'feishu': {
      const body: Record<string, unknown> = { msg_type: 'text', content: { text: toText(message) } };
      if (config.secret) {
        const timestamp = String(Math.floor(now.getTime() / 1000));
        body.timestamp = timestamp;
        body.sign = createHmac('sha256', `${timestamp}\n${config.secret}`).update('').digest('base64');
      }
      return { url: config.url, body, headers: {} };
    }
  }
}

/** Robots answer 200 with an error code in the body: a non-zero code is a failed delivery. */
export function webhookRefusal(kind: WebhookKind, body: unknown): string | null {
  if (kind === 'generic' || typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  if (kind === 'wecom' || kind === 'dingtalk') {
    return b.errcode === undefined || b.errcode === 0
      ? null
      : `errcode ${String(b.errcode)}: ${String(b.errmsg ?? '')}`;
  }
  const code = b.code ?? b.StatusCode;
  return code === undefined || code === 0
    ? null
    : `code ${String(code)}: ${String(b.msg ?? b.StatusMessage ?? '')}`;
}

export function toText(message: Message): string {
  return [message.subject, '', ...message.lines].join('\n');
}

export function toMarkdown(message: Message): string {
  return [
    `### ${message.subject}`,
    ...message.lines.map((line) => (line === '—' ? '---' : `> ${line}`)),
  ].join('\n');
}
