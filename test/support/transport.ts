import type { App } from 'supertest/types';
import request from 'supertest';
import type { TestApp } from './test-app';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface ApiRequest {
  readonly method: HttpMethod;
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  /** The body's media type when it is not JSON (then the body is sent as the text it is, e.g. a DMN file). */
  readonly contentType?: string;
  /** The whole Authorization header; none when undefined. */
  readonly authorization?: string;
}

export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
}

/** How the driver reaches the service: the same requests in-process or to a child process over HTTP. */
export type Transport = (request: ApiRequest) => Promise<ApiResponse>;

function withQuery(path: string, query: ApiRequest['query']): string {
  const entries = Object.entries(query ?? {}).filter(([, value]) => value !== undefined);
  if (entries.length === 0) return path;
  const params = new URLSearchParams(entries.map(([name, value]): [string, string] => [name, String(value)]));
  return `${path}${path.includes('?') ? '&' : '?'}${params.toString()}`;
}

/** Over HTTP with fetch, to any base URL (a child process, or an in-process app listening on a port). */
export function httpTransport(baseUrl: string): Transport {
  return async ({ method, path, query, body, contentType, authorization }) => {
    const response = await fetch(`${baseUrl}${withQuery(path, query)}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': contentType ?? 'application/json' }),
        ...(authorization === undefined ? {} : { authorization }),
      },
      body:
        body === undefined
          ? undefined
          : contentType
            ? body instanceof Uint8Array
              ? body
              : String(body)
            : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: response.status, body: parsed };
  };
}

/** In-process through supertest: no port is opened. */
export function appTransport(t: TestApp): Transport {
  return async ({ method, path, query, body, contentType, authorization }) => {
    const server = request(t.app.getHttpServer() as App);
    const verb = method.toLowerCase() as 'get' | 'post' | 'patch' | 'put' | 'delete';
    let test = server[verb](withQuery(path, query));
    if (authorization !== undefined) test = test.set('Authorization', authorization);
    if (contentType !== undefined) test = test.set('content-type', contentType);
    const response = await (body === undefined ? test : test.send(body as object));
    const json = /json/.test(response.type);
    return { status: response.status, body: json ? response.body : response.text || undefined };
  };
}
