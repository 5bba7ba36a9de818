import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  fieldsOf,
  requiredOf,
  sampleFormData,
  shippedForm,
  type FormComponent,
  type FormJsSchema,
} from '../support/form-samples';
import { startTestApp, type TestApp } from '../support/test-app';
import {
  EMERGENCY_CLOSE_OUT,
  settle,
  taskSnapshot,
  MINIMAL_REQUEST,
  ReleaseDriver,
  type Task,
} from '../support/release-driver';

/**
 * Every form a task of the three flows hands out is checked on the server: a release is walked step by step
 * per class, and at each task whose form is not covered yet the invalid variants go first (each 400, naming
 * each field in `details`, changing nothing), then the valid data. `GET /api/tasks/:id` hands out the schema.
 * The variants come from each form's schema: every required field missing, an unknown field, a value not in the
 * list (forms that have a choice), a wrong type, an over-long string, all of these at once; plus the date-time,
 * pattern, nested-item and minimum-length checks of the forms that have them.
 */
describe('forms', () => {
  let t: TestApp;
  let walk: ReleaseDriver;
  const covered = new Set<string>();

  beforeAll(async () => {
    t = await startTestApp();
    walk = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
  });
  afterAll(() => t.close());

  interface Variant {
    readonly what: string;
    readonly data: Record<string, unknown>;
    readonly details: Array<{ field: string; message: string }>;
  }

  const schemaOf = (key: string): FormJsSchema => shippedForm(key);
  const entries = (form: FormJsSchema) => [...fieldsOf(form)] as Array<[string, FormComponent]>;
  const TYPE_OF: Record<string, string> = { checkbox: 'boolean', dynamiclist: 'array', number: 'number' };

  /** The invalid variants of a form, each with the `details` the server must answer. */
  function variantsOf(form: FormJsSchema): Variant[] {
    const valid = sampleFormData(form);
    const required = requiredOf(form);
    const variants: Variant[] = [
      // (A form whose fields are all optional accepts no data: a checkbox left out is false.)
      ...(required.length === 0
        ? []
        : [
            {
              what: 'every required field missing',
              data: {},
              details: required.map((field) => ({ field, message: 'is required' })),
            },
          ]),
      {
        what: 'an unknown field',
        data: { ...valid, colour: 'red' },
        details: [{ field: 'colour', message: 'is not a field of this form' }],
      },
    ];
    const withEnum = entries(form).find(([, f]) => f.values);
    if (withEnum) {
      const [field, f] = withEnum;
      variants.push({
        what: `a value not in the list (${field})`,
        data: { ...valid, [field]: 'bogus' },
        details: [
          { field, message: `must be one of ${f.values!.map((v) => JSON.stringify(v.value)).join(', ')}` },
        ],
      });
    }
    const [typed, typedField] = entries(form).find(([, f]) => !f.values)!;
    const typeName = TYPE_OF[typedField.type] ?? 'string';
    const wrong = typeName === 'boolean' ? 'yes' : typeName === 'array' ? 'none' : 42;
    variants.push({
      what: `a wrong type (${typed})`,
      data: { ...valid, [typed]: wrong },
      details: [{ field: typed, message: `must be ${typeName}` }],
    });
    const [long, longField] = entries(form).find(([, f]) => f.validate?.maxLength)!;
    const maxLength = longField.validate!.maxLength!;
    variants.push({
      what: `an over-long string (${long})`,
      data: { ...valid, [long]: 'x'.repeat(maxLength + 1) },
      details: [{ field: long, message: `must NOT have more than ${maxLength} characters` }],
    });
    // All at once: every wrong field is named, and the required fields the data leaves out.
    const together: Record<string, unknown> = { colour: 'red', [typed]: wrong };
    if (withEnum) together[withEnum[0]] = 'bogus';
    if (long !== typed) together[long] = 'x'.repeat(maxLength + 1);
    // (When the over-long field is also the mistyped one, it is only mistyped.)
    const named = variants
      .filter((v) => v.what !== 'every required field missing')
      .filter((v) => long !== typed || !v.what.startsWith('an over-long'))
      .flatMap((v) => v.details);
    variants.push({
      what: 'all of these at once',
      data: together,
      details: [
        ...required
          .filter((field) => !(field in together))
          .map((field) => ({ field, message: 'is required' })),
        ...named,
      ],
    });
    return [...variants, ...(SPECIAL[form.id] ?? [])];
  }

  /** Checks a form has beyond the ones every form has. */
  const SPECIAL: Record<string, Variant[]> = {
    'release-plan': [
      {
        what: 'a date that is not ISO 8601',
        data: sampleFormData('release-plan', {
          plannedStart: 'next Tuesday',
          plannedEnd: '2026-13-45T25:00Z',
        }),
        details: [
          { field: 'plannedStart', message: 'must match format "date-time"' },
          { field: 'plannedEnd', message: 'must match format "date-time"' },
        ],
      },
    ],
    'version-allocation': [
      {
        what: 'a version number against the pattern',
        data: sampleFormData('version-allocation', { versionNumber: '-1 beta' }),
        details: [{ field: 'versionNumber', message: 'must match pattern "^[A-Za-z0-9][A-Za-z0-9._+-]*$"' }],
      },
      {
        what: 'an empty version number',
        data: sampleFormData('version-allocation', { versionNumber: '' }),
        details: [{ field: 'versionNumber', message: 'is required' }],
      },
    ],
    'test-report': [
      {
        what: 'a defect with a wrong severity and no description',
        data: sampleFormData('test-report', {
          testResult: 'fail',
          defects: [{ id: 'BUG-1', severity: 'blocker' }],
        }),
        details: [
          { field: 'defects.0.description', message: 'is required' },
          { field: 'defects.0.severity', message: 'must be one of "critical", "major", "minor"' },
        ],
      },
    ],
    'release-assessment': [
      {
        what: 'an empty impact assessment',
        data: sampleFormData('release-assessment', { impactAssessment: '' }),
        details: [{ field: 'impactAssessment', message: 'is required' }],
      },
    ],
  };

  const sortDetails = (details: Array<{ field: string; message: string }>) =>
    [...details].sort((a, b) => `${a.field} ${a.message}`.localeCompare(`${b.field} ${b.message}`));

  /** At the task: check its schema, then (first time its form is met) every invalid variant. */
  async function checkForm(task: Task): Promise<void> {
    const res = await t.as(task.candidateGroups[0]!).get(`/api/tasks/${task.id}`).expect(200);
    expect(res.body).toMatchObject({ id: task.id, formKey: task.formKey, status: 'open' });
    expect(res.body.form).toEqual(JSON.parse(JSON.stringify(schemaOf(task.formKey!))));
    if (covered.has(task.formKey!)) return;

    await settle(t, task.instanceId);
    const before = await taskSnapshot(t, task.id);
    for (const variant of variantsOf(schemaOf(task.formKey!))) {
      const refused = await t
        .as(task.candidateGroups[0]!)
        .post(`/api/tasks/${task.id}/complete`)
        .send({ data: variant.data });
      expect({ form: task.formKey, variant: variant.what, status: refused.status }).toEqual({
        form: task.formKey,
        variant: variant.what,
        status: 400,
      });
      expect(refused.body).toMatchObject({ statusCode: 400, error: 'bad request' });
      expect({
        form: task.formKey,
        variant: variant.what,
        details: sortDetails(refused.body.details),
      }).toEqual({
        form: task.formKey,
        variant: variant.what,
        details: sortDetails(variant.details),
      });
      for (const { field } of variant.details) expect(refused.body.message).toContain(field);
    }
    expect(await taskSnapshot(t, task.id)).toEqual(before);
    covered.add(task.formKey!);
  }

  /** Walk the release: at each step check the form, then complete it validly. */
  async function walkThrough(releaseId: string, steps: Array<[string, Record<string, unknown>]>) {
    for (const [elementId, data] of steps) {
      const task = await walk.task(releaseId, elementId);
      await checkForm(task);
      await walk.finish(task, data);
    }
  }

  it('given a standard release through rework, a failed installation and re-execution, each of its forms refuses bad data field by field', async () => {
    const release = await walk.file('standard');
    await walkThrough(release.id, [
      ['assess-request', { assessmentDecision: 'rework' }],
      ['rework-request', { title: 'standard release, revised', revisionNote: 'scope narrowed' }],
      ['assess-request', { assessmentDecision: 'approve' }],
      ['define-strategy', { releaseType: 'delta' }],
      ['plan-release', { plannedStart: '2026-12-01T20:00:00Z', plannedEnd: '2026-12-01T22:00:00+08:00' }],
      ['allocate-version', { versionNumber: '3.1.0+build.7' }],
      ['build-package', {}],
      [
        'test-release',
        { testResult: 'pass', defects: [{ id: 'BUG-9', severity: 'minor', description: 'typo' }] },
      ],
      ['authorise-deployment', { deploymentDecision: 'approve' }],
      ['install-release', { installResult: 'failure', failureReason: 'disk full' }],
      ['record-rollback-cause', { reExecute: true }],
      ['build-package', {}],
      ['test-release', { testResult: 'pass' }],
      ['authorise-deployment', { deploymentDecision: 'approve' }],
      ['install-release', { installResult: 'success', installedAt: '2026-11-01T21:00:00Z' }],
      ['check-configuration', { configurationVerified: true }],
      ['write-release-report', {}],
      ['archive-release', {}],
    ]);
    const ended = await walk.waitForStatus(release.id, 'closed');
    expect(ended).toMatchObject({ title: 'standard release, revised', versionNumber: '3.1.0+build.7' });
  });

  it('given an emergency release, each of its forms refuses bad data field by field', async () => {
    const release = await walk.file('emergency');
    await walkThrough(release.id, [
      ['approve-emergency', { approvalDecision: 'approve' }],
      ['build-package', {}],
      ['install-release', { installResult: 'success' }],
      ['verify-release', { verificationResult: 'pass' }],
      ...EMERGENCY_CLOSE_OUT.map(([elementId, data]): [string, Record<string, unknown>] => [elementId, data]),
    ]);
    await walk.waitForStatus(release.id, 'closed');
  });

  it('given a major release, each of its forms refuses bad data field by field', async () => {
    const release = await walk.file('major');
    await walkThrough(release.id, [
      ['assess-request', { assessmentDecision: 'approve' }],
      ['define-strategy', {}],
      ['plan-release', {}],
      ['review-plan', { planApproved: true }],
      ['allocate-version', {}],
      ['build-package', {}],
      ['test-release', { testResult: 'pass' }],
      ['user-verification', { verificationResult: 'pass' }],
      ['authorise-deployment', { deploymentDecision: 'approve' }],
      ['install-release', { installResult: 'success' }],
      ['check-configuration', { configurationVerified: true }],
      ['write-release-report', {}],
      ['write-assessment-report', { rating: 'successful' }],
      ['archive-release', {}],
    ]);
    await walk.waitForStatus(release.id, 'closed');
  });

  it('the flows above reached every form of processes/', () => {
    const shipped = readdirSync(join(__dirname, '..', '..', 'processes'))
      .filter((f) => f.endsWith('.form'))
      .map((f) => f.replace(/\.form$/, ''));
    expect([...covered].sort()).toEqual(shipped.sort());
  });

  it('given a request returned for rework, when the applicant revises its content (a field of the form), then it is accepted', async () => {
    const release = await walk.file('standard');
    await walk.step(release.id, 'assess-request', { assessmentDecision: 'rework' });
    const rework = await walk.task(release.id, 'rework-request');
    const res = await t
      .as('applicant')
      .post(`/api/tasks/${rework.id}/complete`)
      .send({ data: sampleFormData('release-request', { releaseContent: 'the revised content' }) });
    expect({ status: res.status, details: res.body.details }).toEqual({ status: 200, details: undefined });
    expect(res.body).toMatchObject({
      status: 'completed',
      output: { releaseContent: 'the revised content' },
    });
  });
});
