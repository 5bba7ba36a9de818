import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FormComponent, FormJsSchema } from '../../src/definitions/index';

export type { FormComponent, FormJsSchema } from '../../src/definitions/index';

const PROCESSES = join(__dirname, '..', '..', 'processes');
const INPUTS = new Set([
  'textfield',
  'textarea',
  'number',
  'checkbox',
  'checklist',
  'taglist',
  'radio',
  'select',
  'datetime',
]);

/** A shipped form of processes/ as its file holds it. */
export function shippedForm(formId: string): FormJsSchema {
  return JSON.parse(readFileSync(join(PROCESSES, `${formId}.form`), 'utf8')) as FormJsSchema;
}

/** The fields of a form's top level by key: its inputs, and the groups with a path and dynamic lists. */
export function fieldsOf(schema: FormJsSchema): Map<string, FormComponent> {
  const fields = new Map<string, FormComponent>();
  const walk = (components: readonly FormComponent[]) => {
    for (const c of components) {
      if (INPUTS.has(c.type) && c.key) fields.set(c.key, c);
      else if (c.type === 'group' && !c.path) walk(c.components ?? []);
      else if (c.path) fields.set(c.path, c);
    }
  };
  walk(schema.components);
  return fields;
}

/** The keys of a form's required top-level fields. */
export function requiredOf(schema: FormJsSchema): string[] {
  return [...fieldsOf(schema)].filter(([, c]) => c.validate?.required).map(([key]) => key);
}

/** A valid value for every required field of a form, so a test names only the fields its scenario is about. */
export function sampleFormData(
  form: string | FormJsSchema | null | undefined,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  if (!form) return { ...overrides };
  const schema = typeof form === 'string' ? shippedForm(form) : form;
  const fields = fieldsOf(schema);
  const data: Record<string, unknown> = {};
  for (const key of requiredOf(schema)) data[key] = sampleValue(key, fields.get(key)!);
  return { ...data, ...overrides };
}

/** A valid value for one field of a form. */
export function sampleValue(name: string, field: FormComponent): unknown {
  if (field.values && field.values.length > 0) {
    const first = field.values[0]!.value;
    return field.type === 'checklist' || field.type === 'taglist' ? [first] : first;
  }
  switch (field.type) {
    case 'checkbox':
      return true;
    case 'number':
      return field.validate?.min ?? 1;
    case 'checklist':
    case 'taglist':
    case 'dynamiclist':
      return [];
    case 'group':
      return {};
    case 'datetime':
      if (field.subtype === 'datetime') return new Date().toISOString();
      if (field.subtype === 'time') return '12:00';
      return new Date().toISOString().slice(0, 10);
    default:
      if (field.validate?.pattern) return '1.0.0';
      return `${name} (test)`;
  }
}
