import { ENGINE_VARIABLE_KEYS } from '../engine/index.js';
import { InvalidInputError, PayloadTooLargeError } from '../platform/errors.js';

/** Checks that user-supplied process variables are a plain JSON object within the size cap. */
export function assertVariables(value: unknown, maxBytes: number, what = 'data'): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidInputError(`${what} must be a JSON object`, [
      { field: what, message: 'must be an object' },
    ]);
  }
  const reserved = Object.keys(value).filter((key) => ENGINE_VARIABLE_KEYS.has(key));
  if (reserved.length > 0) {
    throw new InvalidInputError(
      `${what} uses reserved variable names`,
      reserved.map((field) => ({ field: `${what}.${field}`, message: 'is reserved by the engine' })),
    );
  }
  assertSize(value, maxBytes, what);
  return value as Record<string, unknown>;
}

/** Checks that `value` is within the size cap as JSON; the JSON text it measured comes back, to be stored as it is. */
export function assertSize(value: unknown, maxBytes: number, what: string): string {
  const text = JSON.stringify(value);
  const size = Buffer.byteLength(text, 'utf8');
  if (size > maxBytes) {
    throw new PayloadTooLargeError(`${what} is ${size} bytes; the limit is ${maxBytes}`);
  }
  return text;
}
