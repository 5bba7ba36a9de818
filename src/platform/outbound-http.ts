import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

export interface HttpReply {
  readonly status: number;
  /** The parsed JSON body, or the text (cut at 2000 characters) when it is not JSON. */
  readonly body: unknown;
}

/** A peer answered with a non-2xx status, or could not be reached in time. */
export class OutboundHttpError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'OutboundHttpError';
  }
}

/** JSON over HTTP to the configured peers (webhooks, external CMDB, rollback hook), with a time limit. */
@Injectable()
export class OutboundHttp {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  async postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpReply> {
    const payload = JSON.stringify(body);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
        body: payload,
        redirect: 'error',
        signal: AbortSignal.timeout(this.config.serviceTasks.outboundTimeoutMs),
      });
    } catch (err) {
      const cause =
        err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new OutboundHttpError(`POST ${redact(url)} failed: ${cause}`);
    }
    const text = await response.text().catch(() => '');
    let parsed: unknown = text.slice(0, 2000);
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text
    }
    if (!response.ok) {
      throw new OutboundHttpError(
        `POST ${redact(url)} answered ${response.status}: ${text.slice(0, 300)}`,
        response.status,
        parsed,
      );
    }
    return { status: response.status, body: parsed };
  }
}

/** A URL for logs and errors: robot URLs carry their access token in the query string. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.search) parsed.search = '?…';
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}
