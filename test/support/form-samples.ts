import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FormJsSchema } from '../../src/definitions/index';
import { requiredSampleData } from './form-fill.mjs';

export type { FormComponent, FormJsSchema } from '../../src/definitions/index';
export { fieldsOf, requiredOf, requiredSampleData, sampleValue } from './form-fill.mjs';

const PROCESSES = join(__dirname, '..', '..', 'processes');

/** A shipped form of processes/ as its file holds it. */
export function shippedForm(formId: string): FormJsSchema {
  return JSON.parse(readFileSync(join(PROCESSES, `${formId}.form`), 'utf8')) as FormJsSchema;
}

/** A valid value for every required field of a form, so a test names only the fields its scenario is about. */
export function sampleFormData(
  form: string | FormJsSchema | null | undefined,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  if (!form) return { ...overrides };
  const schema = typeof form === 'string' ? shippedForm(form) : form;
  return { ...requiredSampleData(schema), ...overrides };
}
