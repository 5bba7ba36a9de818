import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A mail as the test SMTP server received it. */
export interface ReceivedMail {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
  readonly subject: string;
  readonly messageId: string;
}

/** A real SMTP server on 127.0.0.1 (random port), no TLS, no auth: it keeps every mail it is given. */
export class TestSmtpServer {
  readonly mails: ReceivedMail[] = [];
  private server: SMTPServer | undefined;
  port = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          this.mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            subject: decodeHeader(header(raw, 'subject')),
            messageId: header(raw, 'message-id'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server!.server.address() as AddressInfo).port;
    return this;
  }

  to(address: string): ReceivedMail[] {
    return this.mails.filter((m) => m.to.includes(address));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0] ?? '';
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line ? line.slice(name.length + 1).trim() : '';
}

/** RFC 2047 encoded words (=?UTF-8?B?...?= and =?UTF-8?Q?...?=) back to text. */
function decodeHeader(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_m, _charset: string, enc: string, text: string) =>
      enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64').toString('utf8')
        : Buffer.from(
            text
              .replace(/_/g, ' ')
              .replace(/=([0-9A-F]{2})/gi, (_x, h: string) => String.fromCharCode(parseInt(h, 16))),
            'latin1',
          ).toString('utf8'),
    );
}

/** A request as the test HTTP peer received it. */
export interface ReceivedRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly body: any;
  /** The status the peer answered. */
  readonly status: number;
}

type Reply = { status: number; body: unknown };

/**
 * A real HTTP server on 127.0.0.1 (random port) standing in for the chat robots, the external CMDB and the
 * rollback hook. Each path answers 200 with its default body, or what `failNext`/`failAlways` say.
 */
export class TestHttpPeer {
  readonly requests: ReceivedRequest[] = [];
  private server: Server | undefined;
  private readonly plans = new Map<string, Reply[]>();
  private readonly always = new Map<string, Reply>();
  private readonly defaults = new Map<string, unknown>([
    ['/wecom', { errcode: 0, errmsg: 'ok' }],
    ['/dingtalk', { errcode: 0, errmsg: 'ok' }],
    ['/feishu', { code: 0, msg: 'success', data: {} }],
  ]);
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  /** The next `times` requests to `path` get this answer. */
  failNext(path: string, times: number, reply: Reply = { status: 503, body: { error: 'down for a test' } }) {
    this.plans.set(
      path,
      Array.from({ length: times }, () => reply),
    );
  }

  failAlways(path: string, reply: Reply = { status: 500, body: { error: 'broken for a test' } }) {
    this.always.set(path, reply);
  }

  heal(path: string) {
    this.always.delete(path);
    this.plans.delete(path);
  }

  to(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  private handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', this.url);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the text
      }
      const planned = this.plans.get(url.pathname)?.shift();
      const reply = this.always.get(url.pathname) ??
        planned ?? {
          status: 200,
          body: this.defaults.get(url.pathname) ?? { ok: true, received: url.pathname },
        };
      this.requests.push({
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
        status: reply.status,
      });
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
