import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidInputError, type FieldError } from '../errors.js';

/**
 * Keys refused wherever user JSON enters, whatever the endpoint: `__proto__`, `constructor` and
 * `prototype` reach an object's prototype when copied with assignment (class-transformer, Object.assign,
 * merges), and class-transformer silently drops every key named like a built-in member (`toString`,
 * `valueOf`, ...), so a form's unknown-field check would never see them.
 */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set([
  '__proto__',
  'constructor',
  'prototype',
  ...Object.getOwnPropertyNames(Object.prototype),
]);

/** NUL (PostgreSQL text and jsonb refuse it) or a UTF-16 surrogate without its pair (not Unicode). */
// eslint-disable-next-line no-control-regex -- finding NUL is the point
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** More problems than this in one request are not worth listing. */
const MAX_DETAILS = 20;

function unstorable(text: string): string | undefined {
  const match = UNSTORABLE.exec(text);
  if (!match) return undefined;
  return match[0] === '\u0000'
    ? 'contains a NUL character'
    : 'contains a lone UTF-16 surrogate (not valid Unicode)';
}

/** A key as it can be shown in a field path: control and lone-surrogate characters escaped as in JSON. */
function printableKey(key: string): string {
  return UNSTORABLE.test(key) ? JSON.stringify(key).slice(1, -1) : key;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The strings and keys in a JSON value (or a query, or a path parameter) that must not go further: NUL,
 * lone surrogates, and keys that reach a prototype. Walks with its own stack, so no depth overflows it;
 * names each problem by its path (`request.title`, `attributes.tags.0`).
 */
export function findHostileInput(value: unknown, root = ''): FieldError[] {
  const problems: FieldError[] = [];
  const stack: Array<{ value: unknown; path: string }> = [{ value, path: root }];
  const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
  while (stack.length > 0 && problems.length < MAX_DETAILS) {
    const { value: current, path } = stack.pop()!;
    if (typeof current === 'string') {
      const problem = unstorable(current);
      if (problem) problems.push({ field: path || 'body', message: problem });
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--)
        stack.push({ value: current[i], path: join(path, `${i}`) });
    } else if (isPlainObject(current)) {
      const children: Array<{ value: unknown; path: string }> = [];
      for (const key of Object.keys(current)) {
        const field = join(path, printableKey(key));
        const problem = FORBIDDEN_KEYS.has(key)
          ? 'is a reserved key (the name of a built-in object member)'
          : unstorable(key) && `key ${unstorable(key)}`;
        if (problem) problems.push({ field, message: problem });
        else children.push({ value: current[key], path: field });
      }
      // One by one: spreading a 100,000-key object's children as arguments would overflow the stack.
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
  }
  return problems;
}

export function hostileInputError(problems: readonly FieldError[]): InvalidInputError {
  return new InvalidInputError(
    `invalid input: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`,
    problems,
  );
}

/**
 * Runs before DTO validation on every body, query and path parameter: what it refuses would otherwise
 * reach PostgreSQL (500) or a prototype (class-transformer assigns keys one by one).
 */
@Injectable()
export class HostileInputPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const problems = findHostileInput(value, metadata.data ?? '');
    if (problems.length > 0) throw hostileInputError(problems);
    return value;
  }
}

/**
 * Deepest nesting of arrays and objects in a JSON text, counted on the raw bytes before it is parsed, so
 * that nothing recursive (class-transformer, validation, JSON.stringify) ever sees a deeper value.
 * Stops counting once past `limit`.
 */
export function jsonDepthExceeds(raw: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (inString) {
      if (byte === 0x5c /* \ */) i++;
      else if (byte === 0x22 /* " */) inString = false;
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x7b /* { */ || byte === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (byte === 0x7d /* } */ || byte === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/** A body-parser `verify` hook that refuses JSON nested deeper than `maxDepth` with 400. */
export function refuseDeepJson(maxDepth: number) {
  return (_request: IncomingMessage, _response: ServerResponse, raw: Buffer): void => {
    if (!jsonDepthExceeds(raw, maxDepth)) return;
    // body-parser keeps a status the error brings (it would answer 403 otherwise).
    throw Object.assign(
      new InvalidInputError(`the request body nests deeper than ${maxDepth} levels`, [
        { field: 'body', message: `nests deeper than ${maxDepth} levels` },
      ]),
      { status: 400 },
    );
  };
}

/** The largest PostgreSQL `integer`: a bigger number in a query would fail there (500), not here (400). */
export const MAX_INT4 = 2_147_483_647;

/**
 * Path parameters that are whole numbers stored as `integer` (a version): 400 naming the parameter unless
 * the text is one, within [min, MAX_INT4]. Nest's ParseIntPipe lets 99999999999999999999 through.
 */
export class IntParamPipe implements PipeTransform<unknown, number> {
  constructor(private readonly min = 1) {}

  /** `value` is a string, or already a number when the global validation pipe converted it. */
  transform(value: unknown, metadata: ArgumentMetadata): number {
    const number =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && /^-?\d{1,10}$/.test(value)
          ? Number(value)
          : NaN;
    if (!Number.isInteger(number) || number < this.min || number > MAX_INT4) {
      const field = metadata.data ?? 'parameter';
      const message = `must be a whole number from ${this.min} to ${MAX_INT4}`;
      throw new InvalidInputError(`invalid input: ${field}: ${message}`, [{ field, message }]);
    }
    return number;
  }
}
