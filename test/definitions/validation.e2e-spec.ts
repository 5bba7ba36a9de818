import { startTestApp, type TestApp } from '../support/test-app';
import { fixture, postXml, storedDefinitions } from './definitions-support';

/**
 * One failing fixture per validation rule (test/definitions/fixtures). Each deploy answers 400 with every
 * error naming its element (or `xml`, the file) and saying it in a designer's words, nothing is stored, and the
 * dry run reports the same errors (with whatever advice the file gets besides).
 */
const RULES: ReadonlyArray<[file: string, errors: ReadonlyArray<[field: string, message: RegExp]>]> = [
  ['not-well-formed.bpmn', [['xml', /not a readable BPMN 2.0 document: unparsable content.*unexpected end/]]],
  ['no-executable-process.bpmn', [['no-executable-process', /is not executable: tick "Executable"/]]],
  ['unknown-element.bpmn', [['xml', /line 9, column 4: <bpmn:userTsak> .*unknown type <bpmn:UserTsak>/]]],
  ['duplicate-id.bpmn', [['review', /duplicate ID <review>/]]],
  ['dangling-reference.bpmn', [['f3', /targetRef "nowhere" names nothing in the file/]]],
  ['user-task-unknown-candidate-group.bpmn', [['review', /candidate group "release-wizards" is not a role/]]],
  ['user-task-unknown-form.bpmn', [['review', /form "no-such-form" does not exist/]]],
  ['service-task-without-job-type.bpmn', [['work', /needs a job type/]]],
  ['feel-condition-syntax.bpmn', [['f-approve', /FEEL syntax error/]]],
  ['condition-not-feel.bpmn', [['f-approve', /must be a FEEL expression/]]],
  ['feel-extension-syntax.bpmn', [['review', /zeebe:TaskSchedule dueDate: FEEL syntax error/]]],
  ['bad-timer.bpmn', [['wait', /timeDuration "tomorrow morning" is not an ISO 8601 duration/]]],
  ['gateway-flow-without-condition.bpmn', [['f-reject', /needs a condition or must be its default flow/]]],
  ['default-flow-with-condition.bpmn', [['f-reject', /default flow must not have a condition/]]],
  ['parallel-flow-with-condition.bpmn', [['f-approve', /parallel gateway .* must not have a condition/]]],
  ['script-task.bpmn', [['evil', /a script task runs a FEEL expression only/]]],
  ['unsupported-element.bpmn', [['call-other', /bpmn:AdHocSubProcess is not supported by this engine/]]],
  [
    'message-start-event.bpmn',
    [['start', /has no message: a message start event starts an instance per published message/]],
  ],
  ['signal-end-event.bpmn', [['end', /has no signal: a signal event broadcasts a signal by its name/]]],
  [
    'message-end-event-without-job-type.bpmn',
    [['end', /needs a job type .*a message throw or end event is worked as a job/]],
  ],
  [
    'compensation-end-event.bpmn',
    [['end', /the engine runs plain, message, signal, error, escalation and terminate/]],
  ],
  [
    'event-sub-process-compensation-start.bpmn',
    [
      [
        'undo',
        /a compensate start event of an event sub-process: the engine starts event sub-processes by message, signal, timer, error or escalation/,
      ],
    ],
  ],
  ['message-boundary-event.bpmn', [['on-message', /has no message/]]],
  ['multi-instance.bpmn', [['review', /a multi-instance activity needs an input collection/]]],
  ['standard-loop.bpmn', [['review', /is marked as a loop \(standard loop\)/]]],
  ['no-start-event.bpmn', [['no-start-event', /has no start event at its top level/]]],
  [
    'timer-start-too-often.bpmn',
    [
      ['every-second', /repeats every 1000 ms: the shortest interval is 60000 ms/],
      ['cron-every-second', /starts instances 1 s apart: the shortest interval is 60 s/],
    ],
  ],
  ['timer-start-duration.bpmn', [['in-an-hour', /takes a date .* or a cycle .*, not a duration/]]],
  ['entity-expansion.bpmn', [['xml', /document type declarations and entities are not allowed/]]],
  ['external-entity.bpmn', [['xml', /document type declarations and entities are not allowed/]]],
];

describe('definition validation rules', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it.each(RULES)('refuses %s: 400, each error on its element, nothing deployed', async (file, expected) => {
    const before = await storedDefinitions(t);
    const response = await postXml(t, fixture(file));
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, message: expect.any(String) });
    const details = response.body.details as Array<{ field: string; message: string }>;
    expect(details).toHaveLength(expected.length);
    for (const [field, message] of expected) {
      expect(details).toContainEqual({ field, message: expect.stringMatching(message) });
    }
    // An element's refusal says which element in words too ("the user task "Review": ..."), for the list.
    for (const { field, message } of details) if (field !== 'xml') expect(message).toMatch(/^(the|a) /);
    expect(await storedDefinitions(t)).toEqual(before);

    const dryRun = await postXml(t, fixture(file), 'process-designer', '/validate');
    expect(dryRun.status).toBe(200);
    expect(dryRun.body).toEqual({ valid: false, errors: details, warnings: expect.any(Array) });
  });

  it('lists every error of a file at once', async () => {
    const xml = fixture('gateway-flow-without-condition.bpmn')
      .replace('candidateGroups="project-manager"', 'candidateGroups="nobody"')
      .replace(
        '<zeebe:formDefinition formKey="release-assessment"/>',
        '<zeebe:formDefinition formKey="no-such-form"/>',
      );
    const response = await postXml(t, xml);
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual(
      expect.arrayContaining([
        { field: 'approve', message: expect.stringMatching(/"nobody" is not a role/) },
        { field: 'approve', message: expect.stringMatching(/form "no-such-form" does not exist/) },
        { field: 'f-reject', message: expect.stringMatching(/needs a condition/) },
      ]),
    );
  });

  it('accepts the shipped flows in the dry run, with bpmnlint findings as warnings only', async () => {
    for (const key of ['standard-release', 'emergency-release', 'major-release']) {
      const xml = await t.as('admin').get(`/api/process-definitions/${key}/versions/1/xml`);
      expect(xml.status).toBe(200);
      const response = await postXml(t, xml.text, 'admin', '/validate');
      expect(response.body).toMatchObject({ valid: true, processId: key, errors: [] });
    }
    // A flow bpmnlint dislikes (no end event reachable from the timer) still deploys, with its findings.
    const linty = fixture('small-flow-v1.bpmn').replace(
      '<bpmn:endEvent id="end-v1"/>',
      '<bpmn:endEvent id="end-v1"/><bpmn:endEvent id="unreached"/>',
    );
    const dryRun = await postXml(t, linty, 'process-designer', '/validate');
    expect(dryRun.body.valid).toBe(true);
    expect(dryRun.body.warnings).toContainEqual({
      field: 'unreached',
      message: expect.stringMatching(/^no-disconnected: /),
    });
  });

  it('gives the same warnings each time a file is checked (bpmnlint rules keep no state between files)', async () => {
    const xml = fixture('small-flow-v2.bpmn');
    const first = await postXml(t, xml, 'process-designer', '/validate');
    const second = await postXml(t, xml, 'process-designer', '/validate');
    expect(second.body.warnings).toEqual(first.body.warnings);
    expect(second.body.warnings).not.toContainEqual(
      expect.objectContaining({ message: expect.stringMatching(/no-duplicate-sequence-flows/) }),
    );
  });

  it('warns about zeebe settings the engine does not apply: mappings on a task that waits apply, on an end event not', async () => {
    const mapping = '<zeebe:ioMapping><zeebe:input source="=title" target="t"/></zeebe:ioMapping>';
    const xml = fixture('small-flow-v1.bpmn')
      .replace(
        '<zeebe:formDefinition formKey="release-assessment"/>',
        `<zeebe:formDefinition formKey="release-assessment"/>${mapping}`,
      )
      .replace(
        '<bpmn:endEvent id="end-v1"/>',
        `<bpmn:endEvent id="end-v1"><bpmn:extensionElements>${mapping}</bpmn:extensionElements></bpmn:endEvent>`,
      );
    const response = await postXml(t, xml, 'process-designer', '/validate');
    expect(response.body.valid).toBe(true);
    const mappingWarnings = (response.body.warnings as Array<{ field: string; message: string }>).filter(
      (w) => /mappings/.test(w.message),
    );
    expect(mappingWarnings).toEqual([
      {
        field: 'end-v1',
        message: expect.stringMatching(/input\/output mappings are not applied on an end event/),
      },
    ]);
  });

  it.each([
    [
      'user-task-without-candidate-group.bpmn',
      /has no candidate group: only coordinators \(project-manager\) and administrators see it/,
    ],
    [
      'user-task-without-form.bpmn',
      /has no form: it is completed with any JSON object of variables, unchecked/,
    ],
  ])('deploys %s, which the engine runs as it is, with advice on its user task', async (file, advice) => {
    const response = await postXml(t, fixture(file), 'process-designer', '/validate');

    expect(response.body.valid).toBe(true);
    expect(response.body.warnings).toContainEqual({
      field: 'review',
      message: expect.stringMatching(advice),
    });
  });
});
