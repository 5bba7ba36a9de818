import { createHash } from 'node:crypto';
import {
  checkFeel,
  evaluateFeel,
  runWithinTime,
  TimeExceededError,
  type FeelLimits,
} from '../engine/index.js';

export { EMBEDDED_FORM_PREFIX } from '../engine/index.js';
import type { FieldError } from '../platform/errors.js';

/**
 * Camunda Forms: the form-js JSON schema that Camunda Modeler's form editor writes (`*.form`). This module reads
 * and checks a schema at deploy and validates a task's completion against it on the server, by the rules the
 * form-js viewer applies in the browser (required, length, pattern, min/max, options, `conditional.hide`).
 */
export interface FormOption {
  readonly label?: string;
  readonly value: unknown;
}

export interface FormComponent {
  readonly id?: string;
  readonly type: string;
  readonly key?: string;
  readonly path?: string;
  readonly label?: string;
  readonly subtype?: string;
  readonly values?: readonly FormOption[];
  readonly valuesKey?: string;
  readonly valuesExpression?: string;
  readonly defaultValue?: unknown;
  readonly decimalDigits?: number;
  readonly serializeToString?: boolean;
  readonly validate?: {
    readonly required?: boolean;
    readonly minLength?: number;
    readonly maxLength?: number;
    readonly pattern?: string;
    readonly min?: number;
    readonly max?: number;
    readonly validationType?: 'email' | 'phone';
  };
  readonly conditional?: { readonly hide?: string };
  readonly components?: readonly FormComponent[];
}

export interface FormJsSchema {
  readonly type: string;
  readonly id: string;
  readonly name?: string;
  readonly components: readonly FormComponent[];
  readonly schemaVersion?: number;
  readonly executionPlatform?: string;
  readonly executionPlatformVersion?: string;
}

/** Components that hold a value, by the JSON type of that value. */
const INPUTS: Readonly<Record<string, 'string' | 'number' | 'boolean' | 'array'>> = {
  textfield: 'string',
  textarea: 'string',
  number: 'number',
  checkbox: 'boolean',
  checklist: 'array',
  taglist: 'array',
  radio: 'string',
  select: 'string',
  datetime: 'string',
};
/** Components that hold others: a group (its `path` nests their values) and a dynamic list (an array of them). */
const CONTAINERS = new Set(['group', 'dynamiclist']);
/** Components that show something and hold no value. */
const DISPLAYS = new Set([
  'text',
  'html',
  'image',
  'spacer',
  'separator',
  'button',
  'iframe',
  'table',
  'expression',
  'documentPreview',
]);
export const SUPPORTED_COMPONENTS: readonly string[] = [...Object.keys(INPUTS), ...CONTAINERS, ...DISPLAYS];

const FORM_ID = /^[A-Za-z_][A-Za-z0-9_.-]{0,254}$/;
const KEY = /^(?!(?:__proto__|constructor|prototype)$)[A-Za-z_$][A-Za-z0-9_$]{0,254}$/;
const MAX_COMPONENTS = 500;
const MAX_DEPTH = 8;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+[1-9]\d{1,14}$/;

/** A form read from its file: the schema, its id and the checksum of its content. */
export interface ParsedForm {
  readonly schema: FormJsSchema;
  readonly formId: string;
  readonly name: string;
  readonly checksum: string;
}

/** Read and check a form file (text or parsed JSON); every problem is listed, by component. */
export function parseForm(
  source: string | unknown,
  feelLimits?: FeelLimits,
): { form?: ParsedForm; errors: FieldError[] } {
  let value: unknown = source;
  if (typeof source === 'string') {
    try {
      value = JSON.parse(source);
    } catch (err) {
      return { errors: [{ field: 'form', message: `is not JSON: ${(err as Error).message}` }] };
    }
  }
  if (!isObject(value)) return { errors: [{ field: 'form', message: 'must be a JSON object' }] };
  const errors: FieldError[] = [];
  if (value.type !== 'default')
    errors.push({ field: 'type', message: 'must be "default" (a form of the Camunda Modeler form editor)' });
  if (typeof value.id !== 'string' || !FORM_ID.test(value.id))
    errors.push({
      field: 'id',
      message:
        'is the form id user tasks link with zeebe:formDefinition formId: a name of letters, digits, "_", "-" and ".", up to 255 characters',
    });
  if (!Array.isArray(value.components)) errors.push({ field: 'components', message: 'must be a list' });
  else {
    const counter = { n: 0 };
    checkComponents(value.components, new Set(), errors, counter, 1, feelLimits);
  }
  if (errors.length > 0) return { errors };
  const schema = value as unknown as FormJsSchema;
  return {
    form: {
      schema,
      formId: schema.id,
      name: typeof value.name === 'string' && value.name ? value.name.slice(0, 255) : schema.id,
      checksum: createHash('sha256').update(JSON.stringify(value)).digest('hex'),
    },
    errors,
  };
}

function checkComponents(
  components: unknown[],
  keys: Set<string>,
  errors: FieldError[],
  counter: { n: number },
  depth: number,
  feelLimits?: FeelLimits,
): void {
  if (depth > MAX_DEPTH) {
    errors.push({ field: 'components', message: `nest at most ${MAX_DEPTH} levels of groups and lists` });
    return;
  }
  for (const [index, raw] of components.entries()) {
    counter.n++;
    if (counter.n > MAX_COMPONENTS) {
      errors.push({ field: 'components', message: `a form may have at most ${MAX_COMPONENTS} components` });
      return;
    }
    if (!isObject(raw) || typeof raw.type !== 'string') {
      errors.push({ field: `components[${index}]`, message: 'must be an object with a type' });
      continue;
    }
    const c = raw as unknown as FormComponent;
    const field = c.key ?? c.path ?? c.id ?? `components[${index}]`;
    if (!(c.type in INPUTS) && !CONTAINERS.has(c.type) && !DISPLAYS.has(c.type)) {
      errors.push({
        field,
        message: `component type "${c.type}" is not supported here: use one of ${SUPPORTED_COMPONENTS.join(', ')}`,
      });
      continue;
    }
    if (c.conditional?.hide !== undefined) {
      const problem =
        typeof c.conditional.hide === 'string' && c.conditional.hide.trim().startsWith('=')
          ? checkFeel(c.conditional.hide, feelLimits)
          : 'must be a FEEL expression starting with "="';
      if (problem) errors.push({ field, message: `conditional.hide ${problem}` });
    }
    if (c.type in INPUTS) {
      if (typeof c.key !== 'string' || !KEY.test(c.key)) {
        errors.push({
          field,
          message:
            'needs a key (the variable it fills): letters, digits and "_", no dots (nest with a group path)',
        });
        continue;
      }
      if (keys.has(c.key)) errors.push({ field, message: `key "${c.key}" is used twice at this level` });
      keys.add(c.key);
      checkValidate(c, field, errors);
      if (
        (c.type === 'radio' || c.type === 'select' || c.type === 'checklist' || c.type === 'taglist') &&
        c.values
      )
        if (!Array.isArray(c.values) || c.values.some((o) => !isObject(o) || !('value' in o)))
          errors.push({ field, message: 'values must be a list of { label, value }' });
    } else if (CONTAINERS.has(c.type)) {
      const path = c.path;
      const nested = c.type === 'dynamiclist' || (typeof path === 'string' && path !== '');
      if (c.type === 'dynamiclist' && (typeof path !== 'string' || !KEY.test(path))) {
        errors.push({
          field,
          message: 'a dynamic list needs a path (the list variable): letters, digits and "_"',
        });
        continue;
      }
      if (nested) {
        if (typeof path !== 'string' || !KEY.test(path)) {
          errors.push({
            field,
            message: 'a group path is a variable name: letters, digits and "_", no dots',
          });
          continue;
        }
        if (keys.has(path)) errors.push({ field, message: `key "${path}" is used twice at this level` });
        keys.add(path);
      }
      checkComponents(
        Array.isArray(c.components) ? c.components : [],
        nested ? new Set() : keys,
        errors,
        counter,
        depth + 1,
        feelLimits,
      );
    }
  }
}

function checkValidate(c: FormComponent, field: string, errors: FieldError[]): void {
  const v = c.validate;
  if (v === undefined) return;
  if (!isObject(v)) {
    errors.push({ field, message: 'validate must be an object' });
    return;
  }
  for (const name of ['minLength', 'maxLength', 'min', 'max'] as const) {
    if (v[name] !== undefined && (typeof v[name] !== 'number' || !Number.isFinite(v[name])))
      errors.push({ field, message: `validate.${name} must be a number (FEEL is not evaluated here)` });
  }
  if (v.pattern !== undefined) errors.push(...checkPattern(v.pattern).map((message) => ({ field, message })));
}

/** Longest `validate.pattern` a form may carry: patterns are written by hand, not generated. */
export const MAX_PATTERN_LENGTH = 500;

/**
 * How long one value may take to test against a form's pattern before the value is refused. The watchdog counts
 * wall time, so on a busy machine a pause of the process counts too: a second, as for FEEL, is far above what any
 * sound pattern needs and far below a stall.
 */
export const PATTERN_TIMEOUT_MS = 1_000;

function checkPattern(pattern: unknown): string[] {
  if (typeof pattern !== 'string') return ['validate.pattern must be a string'];
  if (pattern.length > MAX_PATTERN_LENGTH)
    return [`validate.pattern may be at most ${MAX_PATTERN_LENGTH} characters`];
  try {
    new RegExp(pattern);
  } catch {
    return ['validate.pattern is not a regular expression'];
  }
  return [];
}

/**
 * A designer's pattern runs against every value people submit, and JavaScript's regular expressions have no time
 * limit: nested repetition (`(a+)+$`) takes exponential time on a crafted value. The test runs under a watchdog,
 * and a value it cannot decide in time is refused rather than allowed to stall the service.
 */
function matchesPattern(pattern: string, value: string): boolean | 'too slow' {
  try {
    const expression = new RegExp(pattern);
    return runWithinTime(() => expression.test(value), PATTERN_TIMEOUT_MS);
  } catch (err) {
    if (err instanceof TimeExceededError) return 'too slow';
    throw err;
  }
}

/** Evaluates a `conditional.hide` expression against the form's data. */
export type HideCheck = (expression: string, context: Record<string, unknown>) => boolean;

export const feelHide: HideCheck = (expression, context) => evaluateFeel(expression, context) === true;

/**
 * Check submitted data against a form: each field's error named (`defects.0.id` inside a dynamic list). A field
 * hidden by its condition is neither required nor checked, and a value sent for it is dropped (as the form-js
 * viewer drops it); a checkbox left out is false (as the viewer submits it). Unknown fields are refused.
 */
export function validateFormData(
  schema: FormJsSchema,
  data: Record<string, unknown>,
  hidden: HideCheck = feelHide,
): { data: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const result = validateLevel(schema.components, data, '', data, hidden, errors);
  return { data: result, errors };
}

function validateLevel(
  components: readonly FormComponent[],
  value: Record<string, unknown>,
  prefix: string,
  root: Record<string, unknown>,
  hidden: HideCheck,
  errors: FieldError[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const known = new Set<string>();
  const context = prefix ? { ...root, ...value, this: value } : root;
  const visit = (list: readonly FormComponent[]) => {
    for (const c of list) {
      const isHidden = c.conditional?.hide ? safeHidden(hidden, c.conditional.hide, context) : false;
      if (c.type in INPUTS && c.key) {
        known.add(c.key);
        if (isHidden) continue;
        const checked = checkField(c, own(value, c.key), `${prefix}${c.key}`, errors);
        if (checked !== undefined) out[c.key] = checked;
      } else if (c.type === 'group' && !c.path) {
        if (!isHidden) visit(c.components ?? []);
        else for (const key of keysOf(c.components ?? [])) known.add(key);
      } else if (CONTAINERS.has(c.type) && c.path) {
        known.add(c.path);
        if (isHidden) continue;
        const nested = own(value, c.path);
        const name = `${prefix}${c.path}`;
        if (nested === undefined || nested === null) continue;
        if (c.type === 'group') {
          if (!isObject(nested)) errors.push({ field: name, message: 'must be object' });
          else out[c.path] = validateLevel(c.components ?? [], nested, `${name}.`, root, hidden, errors);
        } else if (!Array.isArray(nested)) errors.push({ field: name, message: 'must be array' });
        else
          out[c.path] = nested.map((item, i) =>
            isObject(item)
              ? validateLevel(c.components ?? [], item, `${name}.${i}.`, root, hidden, errors)
              : (errors.push({ field: `${name}.${i}`, message: 'must be object' }), item),
          );
      }
    }
  };
  visit(components);
  for (const key of Object.keys(value)) {
    if (!known.has(key)) errors.push({ field: `${prefix}${key}`, message: 'is not a field of this form' });
  }
  return out;
}

/** Own fields only: a field inherited from a prototype is not a field the user sent. */
function own(value: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(value, key) ? value[key] : undefined;
}

function keysOf(components: readonly FormComponent[]): string[] {
  return components.flatMap((c) =>
    c.type in INPUTS && c.key
      ? [c.key]
      : c.type === 'group' && !c.path
        ? keysOf(c.components ?? [])
        : c.path
          ? [c.path]
          : [],
  );
}

/** A condition that cannot be evaluated leaves the field shown (and so checked). */
function safeHidden(hidden: HideCheck, expression: string, context: Record<string, unknown>): boolean {
  try {
    return hidden(expression, context);
  } catch {
    return false;
  }
}

/** The field's value as it goes on (undefined: left out), pushing its errors. */
function checkField(c: FormComponent, value: unknown, field: string, errors: FieldError[]): unknown {
  const v = c.validate ?? {};
  const type = INPUTS[c.type]!;
  const empty =
    value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);
  if (c.type === 'checkbox' && value === undefined) value = c.defaultValue === true;
  if (v.required && (empty || (c.type === 'checkbox' && value === false))) {
    errors.push({ field, message: c.type === 'checkbox' ? 'must be checked' : 'is required' });
    return undefined;
  }
  if (value === undefined) return undefined;
  if (value === null) return null;
  const fail = (message: string) => {
    errors.push({ field, message });
    return value;
  };
  if (type === 'number') {
    const n = c.serializeToString && typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n)) return fail('must be number');
    if (c.decimalDigits !== undefined && c.decimalDigits >= 0 && decimals(n) > c.decimalDigits)
      return fail(
        c.decimalDigits === 0 ? 'must be an integer' : `must have at most ${c.decimalDigits} decimal digits`,
      );
    if (typeof v.min === 'number' && n < v.min) fail(`must be >= ${v.min}`);
    if (typeof v.max === 'number' && n > v.max) fail(`must be <= ${v.max}`);
    return value;
  }
  if (type === 'boolean') return typeof value === 'boolean' ? value : fail('must be boolean');
  if (type === 'array') {
    if (!Array.isArray(value)) return fail('must be array');
    const allowed =
      c.values && !c.valuesKey && !c.valuesExpression ? c.values.map((o) => o.value) : undefined;
    if (allowed && c.type === 'checklist')
      for (const item of value)
        if (!allowed.some((a) => a === item))
          fail(`must be some of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    return value;
  }
  if (c.type === 'radio' || c.type === 'select') {
    const allowed =
      c.values && !c.valuesKey && !c.valuesExpression ? c.values.map((o) => o.value) : undefined;
    if (allowed && !allowed.some((a) => a === value))
      return fail(`must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    if (!allowed && (typeof value === 'object' || typeof value === 'undefined'))
      return fail('must be string');
    return value;
  }
  if (typeof value !== 'string') return fail('must be string');
  if (c.type === 'datetime') {
    const subtype = c.subtype ?? 'date';
    const [format, ok] =
      subtype === 'datetime'
        ? ['date-time', DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))]
        : subtype === 'time'
          ? ['time', TIME.test(value)]
          : ['date', DATE.test(value) && !Number.isNaN(Date.parse(value))];
    if (!ok) return fail(`must match format "${format}"`);
    return value;
  }
  if (value === '') return value;
  const length = value.trim().length;
  if (typeof v.minLength === 'number' && length < v.minLength)
    fail(`must NOT have fewer than ${v.minLength} characters`);
  if (typeof v.maxLength === 'number' && length > v.maxLength)
    fail(`must NOT have more than ${v.maxLength} characters`);
  if (v.pattern) {
    const matched = matchesPattern(v.pattern, value);
    if (matched === 'too slow')
      fail(
        `could not be checked against pattern "${v.pattern}" within ${PATTERN_TIMEOUT_MS} ms: shorten the value`,
      );
    else if (!matched) fail(`must match pattern "${v.pattern}"`);
  }
  if (v.validationType === 'email' && !EMAIL.test(value)) fail('must be a valid email address');
  if (v.validationType === 'phone' && !PHONE.test(value))
    fail('must be a valid international phone number (e.g. +4930664040900)');
  return value;
}

function decimals(n: number): number {
  const text = String(n);
  if (text.includes('e-')) return Number(text.split('e-')[1]);
  return text.includes('.') ? text.split('.')[1]!.length : 0;
}

/** The labels of a form's input fields by key (nested fields by their dotted path), for reports. */
export function fieldLabels(schema: FormJsSchema): Record<string, string> {
  const labels: Record<string, string> = {};
  const walk = (components: readonly FormComponent[], prefix: string) => {
    for (const c of components) {
      if (c.type in INPUTS && c.key) labels[`${prefix}${c.key}`] = c.label ?? c.key;
      else if (c.type === 'group' && !c.path) walk(c.components ?? [], prefix);
      else if (c.path) {
        labels[`${prefix}${c.path}`] = c.label ?? c.path;
        walk(c.components ?? [], `${prefix}${c.path}.`);
      }
    }
  };
  walk(schema.components, '');
  return labels;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
