import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseForm, validateFormData, type FormJsSchema } from './form-js';

const shipped = (formId: string): FormJsSchema =>
  parseForm(readFileSync(join(__dirname, '../../processes', `${formId}.form`), 'utf8')).form!.schema;

describe('the form check', () => {
  const assessment = shipped('release-assessment');
  const valid = { assessmentDecision: 'reject', impactAssessment: 'none' };
  const errorsOf = (schema: FormJsSchema, data: Record<string, unknown>) =>
    validateFormData(schema, data, () => false).errors;

  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype'])(
    'refuses "%s" as a field the form does not have',
    (key) => {
      // given data parsed from JSON, where "__proto__" is an own key like any other
      const data = JSON.parse(JSON.stringify(valid).replace('{', `{"${key}":1,`)) as Record<string, unknown>;
      // when it is checked, then the key is named as unknown
      expect(errorsOf(assessment, data)).toEqual([{ field: key, message: 'is not a field of this form' }]);
    },
  );

  it('counts only own fields: a required field inherited from a prototype is missing', () => {
    // given data whose required decision sits on its prototype (what class-transformer makes of "__proto__")
    const data = Object.assign(Object.create({ assessmentDecision: 'approve' }) as object, {
      impactAssessment: 'none',
    }) as Record<string, unknown>;
    // when it is checked, then the decision is missing
    expect(errorsOf(assessment, data)).toEqual([{ field: 'assessmentDecision', message: 'is required' }]);
  });

  it('accepts the form fields themselves', () => {
    expect(validateFormData(assessment, { ...valid }).data).toEqual(valid);
  });

  it('refuses a field key that would reach a prototype at deploy', () => {
    const form = { type: 'default', id: 'f', components: [{ type: 'textfield', key: '__proto__' }] };
    expect(parseForm(form).errors).toEqual([
      expect.objectContaining({ field: '__proto__', message: expect.stringContaining('needs a key') }),
    ]);
  });

  it('names each field of a dynamic list by its index', () => {
    const report = shipped('test-report');
    const data = {
      testResult: 'fail',
      testSummary: 's',
      defects: [{ id: 'D1', severity: 'high', description: 'd' }],
    };
    expect(errorsOf(report, data)).toEqual([
      { field: 'defects.0.severity', message: 'must be one of "critical", "major", "minor"' },
    ]);
  });

  it.each([
    [['a'], 'validate.pattern must be a string'],
    ['[', 'is not a regular expression'],
    ['a'.repeat(501), 'at most 500 characters'],
  ])('refuses the pattern %s at deploy, as it %s', (pattern, message) => {
    // given a form whose field a designer gave a pattern that cannot be used
    const form = {
      type: 'default',
      id: 'f',
      components: [{ type: 'textfield', key: 'version', validate: { pattern } }],
    };
    // when it is read at deploy, then the field's pattern is refused with why
    expect(parseForm(form).errors).toEqual([
      expect.objectContaining({ field: 'version', message: expect.stringContaining(message) }),
    ]);
  });

  const withPattern = (pattern: string) =>
    parseForm({
      type: 'default',
      id: 'f',
      components: [{ type: 'textfield', key: 'version', validate: { pattern } }],
    }).form!.schema;

  it('checks values against a pattern', () => {
    const schema = withPattern('^v\\d+(\\.\\d+)*$');
    expect(validateFormData(schema, { version: 'v1.2.3' }).errors).toEqual([]);
    expect(validateFormData(schema, { version: '1.2' }).errors).toEqual([
      { field: 'version', message: 'must match pattern "^v\\d+(\\.\\d+)*$"' },
    ]);
  });

  it('refuses a value that a catastrophic pattern cannot decide in time, instead of stalling', () => {
    // given a form with nested repetition, which backtracks exponentially on a value that almost matches
    const schema = withPattern('^(a+)+$');
    // when such a value is submitted
    const started = process.hrtime.bigint();
    const { errors } = validateFormData(schema, { version: `${'a'.repeat(40)}!` });
    // then the field is refused as not checkable in time, and the check returned promptly
    expect(errors).toEqual([
      { field: 'version', message: expect.stringContaining('could not be checked against pattern') },
    ]);
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(5_000);
  });
});
