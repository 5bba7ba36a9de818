// Valid answers for a Camunda (form-js) form: which fields it has, which are required, and a value for each.
// Plain JavaScript on purpose: the scenarios (through form-samples.ts) and test/compat/fill-released.mjs, which
// drives a released build over HTTP without compiling this tree, fill forms with the same answers.

/** The component types that hold a value of their own under their key. */
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

/** The fields of a form's top level by key: its inputs, and the groups with a path and dynamic lists. */
export function fieldsOf(schema) {
  const fields = new Map();
  const walk = (components) => {
    for (const c of components ?? []) {
      if (INPUTS.has(c.type) && c.key) fields.set(c.key, c);
      else if (c.type === 'group' && !c.path) walk(c.components);
      else if (c.path) fields.set(c.path, c);
    }
  };
  walk(schema.components);
  return fields;
}

/** The keys of a form's required top-level fields. */
export function requiredOf(schema) {
  return [...fieldsOf(schema)].filter(([, c]) => c.validate?.required).map(([key]) => key);
}

/** A valid value for one field of a form. */
export function sampleValue(name, field) {
  if (field.values?.length > 0) {
    const first = field.values[0].value;
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
      return `${name} (sample)`;
  }
}

/** A valid value for every required field of a form. */
export function requiredSampleData(schema) {
  const fields = fieldsOf(schema);
  const data = {};
  for (const key of requiredOf(schema)) data[key] = sampleValue(key, fields.get(key));
  return data;
}
