import { FORMS, type FormField } from '../../src/definitions/form-schemas';

/** A valid value for every required field of a form, so a test names only the fields its scenario is about. */
export function sampleFormData(
  formKey: string | null | undefined,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const form = FORMS.find((f) => f.key === formKey);
  if (!form) return { ...overrides };
  const data: Record<string, unknown> = {};
  for (const field of form.required) data[field] = sampleValue(field, form.properties[field]!);
  return { ...data, ...overrides };
}

/** A valid value for one field of a form schema. */
export function sampleValue(name: string, field: FormField): unknown {
  if (field.enum) return field.enum[0];
  switch (field.type) {
    case 'boolean':
      return true;
    case 'integer':
      return field.minimum ?? 1;
    case 'array':
      return [];
    default:
      if (field.format === 'date-time') return new Date().toISOString();
      if (field.pattern) return '1.0.0';
      return `${name} (test)`;
  }
}
