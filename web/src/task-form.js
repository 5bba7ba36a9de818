// A task's form, rendered with form-js. The API hands out a form-js schema (what Camunda Modeler's form
// editor writes); a task whose form is still described by the older JSON-schema shape is converted here.
import { Form } from '@bpmn-io/form-js';
import { el, language } from './api.js';

/**
 * form-js's own validation messages (its Validator, English only and without a translation hook) in Chinese,
 * with the English beside as the labels have it. A message not listed (a form's own patternErrorMessage, the
 * server's) is shown as it is.
 */
const MESSAGES = [
  [/^Field is required\.$/, () => '此项必填'],
  [/^Field must match pattern (.+)\.$/, (m) => `须符合格式 ${m[1]}`],
  [/^Field must have minimum value of (.+)\.$/, (m) => `不得小于 ${m[1]}`],
  [/^Field must have maximum value of (.+)\.$/, (m) => `不得大于 ${m[1]}`],
  [/^Field must have minimum length of (.+)\.$/, (m) => `至少 ${m[1]} 个字符`],
  [/^Field must have maximum length of (.+)\.$/, (m) => `最多 ${m[1]} 个字符`],
  [/^Field must be a valid\s+international phone number/, () => '须为有效的国际电话号码，如 +4930664040900'],
  [/^Field must be a valid email\.$/, () => '须为有效的电子邮件地址'],
  [/^Value is not a number\.$/, () => '不是数字'],
  [/^Value is expected to be an integer\.$/, () => '须为整数'],
  [/^Value is expected to have at most (\d+) decimal digits?\.$/, (m) => `最多 ${m[1]} 位小数`],
  [
    /^Please select a valid value, the two nearest valid values are (.+) and (.+)\.$/,
    (m) => `请选择有效值，最接近的是 ${m[1]} 和 ${m[2]}`,
  ],
];

/** A form-js validation message in the page's language: Chinese (English), Chinese only or English only. */
export function translateMessage(message, lang = language()) {
  for (const [pattern, zh] of MESSAGES) {
    const match = pattern.exec(message);
    if (!match) continue;
    const chinese = zh(match);
    const english = message.replace(/\.$/, '');
    if (lang === 'zh') return chinese;
    if (lang === 'en') return message;
    return `${chinese} (${english})`;
  }
  return message;
}

/** Let a form's validator speak the page's language (both of its entry points). */
function translateValidation(form) {
  const validator = form.get('validator');
  for (const method of ['validateField', 'validateFieldInstance']) {
    const original = validator[method].bind(validator);
    validator[method] = (...args) => original(...args).map((message) => translateMessage(message));
  }
}

/** Is this a form-js schema (as opposed to the older JSON-schema description)? */
export function isFormJs(schema) {
  return !!schema && Array.isArray(schema.components);
}

function fieldFor(key, field, required) {
  const base = { id: `Field_${key.replace(/[^A-Za-z0-9_]/g, '_')}`, key, label: field.title ?? key };
  const validate = {};
  if (required) validate.required = true;
  if (field.type === 'boolean') return { ...base, type: 'checkbox', validate };
  if (field.type === 'integer') {
    if (field.minimum !== undefined) validate.min = field.minimum;
    if (field.maximum !== undefined) validate.max = field.maximum;
    return { ...base, type: 'number', decimalDigits: 0, validate };
  }
  if (field.enum) {
    return { ...base, type: 'select', values: field.enum.map((v) => ({ label: v, value: v })), validate };
  }
  if (field.type === 'array' && field.items?.type === 'object') {
    const inner = field.items;
    return {
      ...base,
      type: 'dynamiclist',
      path: key,
      key: undefined,
      isRepeating: true,
      allowAddRemove: true,
      defaultRepetitions: 0,
      components: Object.entries(inner.properties).map(([k, f]) =>
        fieldFor(k, f, inner.required.includes(k)),
      ),
    };
  }
  if (field.type === 'array') {
    return {
      ...base,
      type: 'textarea',
      label: `${base.label} · 每行一项 one per line`,
      properties: { listOfLines: 'true' },
      validate,
    };
  }
  if (field.format === 'date-time') {
    return {
      ...base,
      type: 'datetime',
      subtype: 'datetime',
      dateLabel: base.label,
      properties: { dateTime: 'true' },
      validate,
    };
  }
  if (field.minLength) validate.minLength = field.minLength;
  if (field.maxLength) validate.maxLength = field.maxLength;
  if (field.pattern) validate.pattern = field.pattern;
  return { ...base, type: field.maxLength && field.maxLength > 500 ? 'textarea' : 'textfield', validate };
}

/** The older description of a form ({ properties, required }) as a form-js schema. */
export function toFormJs(schema) {
  return {
    type: 'default',
    id: schema.key ?? 'form',
    schemaVersion: 16,
    components: [
      { type: 'text', id: 'Text_title', text: `### ${schema.title ?? schema.key ?? ''}` },
      ...Object.entries(schema.properties ?? {}).map(([key, field]) =>
        fieldFor(key, field, (schema.required ?? []).includes(key)),
      ),
    ],
  };
}

function walk(components, visit) {
  for (const component of components ?? []) {
    visit(component);
    walk(component.components, visit);
  }
}

/** A rendered task form: its data for completing, and the server's field errors shown at the fields. */
export class TaskForm {
  constructor(container) {
    this.container = container;
    this.form = null;
    this.schema = null;
  }

  async show(schema, data = {}, { readOnly = false } = {}) {
    this.form?.destroy();
    this.schema = isFormJs(schema) ? schema : toFormJs(schema);
    // No debounce: what was typed is in the data when Complete is pressed.
    this.form = new Form({ container: this.container, debounce: false });
    translateValidation(this.form);
    await this.form.importSchema(this.schema, data);
    if (readOnly) this.form.setProperty('readOnly', true);
  }

  destroy() {
    this.form?.destroy();
    this.form = null;
  }

  /** The form's own checks first; resolves to the data to send, or null when a field is not valid. */
  collect() {
    const { data, errors } = this.form.submit();
    if (Object.keys(errors).length) return null;
    const out = {};
    const converters = new Map();
    walk(this.schema.components, (c) => {
      if (c.properties?.dateTime) converters.set(c.key, (v) => new Date(v).toISOString());
      if (c.properties?.listOfLines) {
        converters.set(c.key, (v) =>
          String(v)
            .split('\n')
            .map((line) => line.trim())
            .filter(Boolean),
        );
      }
    });
    for (const [key, value] of Object.entries(data)) {
      if (value === null || value === undefined || value === '') continue;
      if (Array.isArray(value) && value.length === 0 && converters.has(key)) continue;
      const convert = converters.get(key);
      out[key] = convert ? convert(value) : value;
    }
    return out;
  }

  /**
   * Show the server's field errors ({ field, message }, field a key or a dotted path) at their fields.
   * @returns the errors no field of the form could show
   */
  showServerErrors(details) {
    const byKey = new Map();
    walk(this.schema.components, (c) => {
      if (c.key) byKey.set(c.key, c.id);
      if (c.path) byKey.set(c.path, c.id);
    });
    const errors = {};
    const unplaced = [];
    for (const detail of details ?? []) {
      const field = String(detail.field ?? '');
      const parts = field.split('.');
      // An entry of a list (defects.0.id): the inner field of that repetition.
      if (parts.length === 3 && /^\d+$/.test(parts[1]) && byKey.has(parts[2])) {
        const id = byKey.get(parts[2]);
        errors[id] = errors[id] ?? {};
        errors[id][parts[1]] = [...(errors[id][parts[1]] ?? []), detail.message];
        continue;
      }
      const id = byKey.get(field) ?? byKey.get(parts[0]);
      if (!id) {
        unplaced.push(detail);
        continue;
      }
      errors[id] = [...(errors[id] ?? []), detail.message];
    }
    this.form._setState({ errors });
    return unplaced;
  }
}

/**
 * A refused submission's field errors ({ field, message }) shown where they belong: each at its field of `form`
 * (null: no form, e.g. free JSON variables), and those no field shows listed in `list` as "field: message".
 * `prefix`: what the API puts before a field's key that the form's keys lack (`request.` for a filing).
 */
export function showFieldErrors(form, details, list, prefix = '') {
  const fields = (details ?? []).map((detail) => {
    const field = String(detail.field ?? '');
    return { ...detail, field: prefix && field.startsWith(prefix) ? field.slice(prefix.length) : field };
  });
  const unplaced = form ? form.showServerErrors(fields) : fields;
  for (const detail of unplaced) list.append(el('li', {}, `${detail.field}: ${detail.message}`));
}
