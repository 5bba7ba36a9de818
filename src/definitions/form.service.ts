import { Injectable } from '@nestjs/common';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { InvalidInputError, NotFoundError, type FieldError } from '../platform/errors.js';
import { FORMS, type FormSchema } from './form-schemas.js';

/** The forms by key, with their compiled validators. */
@Injectable()
export class FormService {
  private readonly forms = new Map<string, { schema: FormSchema; validate: ValidateFunction }>();

  constructor() {
    // Own keys only: a field inherited from a prototype is not a field the user sent.
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, ownProperties: true });
    ajv.addFormat('date-time', {
      type: 'string',
      validate: (value: string) =>
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) &&
        !Number.isNaN(Date.parse(value)),
    });
    ajv.addKeyword('key');
    for (const schema of FORMS) this.forms.set(schema.key, { schema, validate: ajv.compile(schema) });
  }

  has(key: string): boolean {
    return this.forms.has(key);
  }

  schema(key: string): FormSchema {
    const form = this.forms.get(key);
    if (!form) throw new NotFoundError(`form "${key}" does not exist`);
    return form.schema;
  }

  /** Throws 400 with one entry per field error when the data does not fit the form. */
  validate(key: string, data: unknown): Record<string, unknown> {
    const form = this.forms.get(key);
    if (!form) throw new InvalidInputError(`the task's form "${key}" is not known to this server`);
    if (form.validate(data)) return data as Record<string, unknown>;
    const details = (form.validate.errors ?? []).map(toFieldError);
    throw new InvalidInputError(
      `the ${form.schema.title} form is not valid: ${details.map((d) => `${d.field} ${d.message}`).join('; ')}`,
      details,
    );
  }
}

function toFieldError(error: ErrorObject): FieldError {
  const path = error.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty: string }).missingProperty);
    return { field: path ? `${path}.${missing}` : missing, message: 'is required' };
  }
  if (error.keyword === 'additionalProperties') {
    const extra = String((error.params as { additionalProperty: string }).additionalProperty);
    return { field: path ? `${path}.${extra}` : extra, message: 'is not a field of this form' };
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return { field: path, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` };
  }
  return { field: path || '(form)', message: error.message ?? 'is not valid' };
}
