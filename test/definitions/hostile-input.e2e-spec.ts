import { MAX_ELEMENTS } from '../../src/definitions/definition.service';
import { DefinitionService } from '../../src/definitions/definition.service';
import { IncidentEntity } from '../../src/instances/incident.entity';
import { InstanceService } from '../../src/instances/instance.service';
import type { JobHandler } from '../../src/queue/job-handler.port';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually, newTestResources } from '../support/test-env';
import { fixture, postXml, storedDefinitions } from './definitions-support';

const NOOP_JOB = 'test.noop';
const noop: JobHandler = { jobType: NOOP_JOB, handle: async () => ({}) };

const XMLNS =
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"';

/** start → job → gateway: flow f-big (the condition) or the default f-small → end. */
function conditionFlow(key: string, condition: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${XMLNS} id="defs-${key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${key}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="${NOOP_JOB}" retries="2"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:exclusiveGateway id="decide" default="f-small"/>
    <bpmn:endEvent id="end-big"/>
    <bpmn:endEvent id="end-small"/>
    <bpmn:sequenceFlow id="f-start" sourceRef="start" targetRef="work"/>
    <bpmn:sequenceFlow id="f-work" sourceRef="work" targetRef="decide"/>
    <bpmn:sequenceFlow id="f-big" sourceRef="decide" targetRef="end-big"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${condition}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f-small" sourceRef="decide" targetRef="end-small"/>
  </bpmn:process>
</bpmn:definitions>`;
}

/** start → job → intermediate timer "wait" → end. */
function timerFlow(key: string, kind: string, value: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions ${XMLNS} id="defs-${key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="${key}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="${NOOP_JOB}" retries="2"/></bpmn:extensionElements></bpmn:serviceTask>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:${kind} xsi:type="bpmn:tFormalExpression">${value}</bpmn:${kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="wait"/>
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>`;
}

/** Files that try to hurt the service: each gets a clear 4xx, nothing is stored, and the service keeps answering. */
describe('hostile definition uploads', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ FEEL_EVAL_TIMEOUT_MS: '200', JOB_ATTEMPTS: '2' }, newTestResources(), [noop]);
  });
  afterAll(() => t.close());

  /** The service still deploys and lists after each hostile request. */
  afterEach(async () => {
    const health = await t.as('process-designer').get('/api/process-definitions');
    expect(health.status).toBe(200);
  });

  const expectRefused = async (
    send: () => PromiseLike<{ status: number; body: any }>,
    status: number,
    message: RegExp,
  ) => {
    const before = await storedDefinitions(t);
    const response = await send();
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ statusCode: status, message: expect.stringMatching(message) });
    expect(await storedDefinitions(t)).toEqual(before);
    return response;
  };

  const multipart = (content: string | Buffer, filename = 'flow.bpmn') =>
    t
      .as('process-designer')
      .post('/api/process-definitions')
      .attach('file', Buffer.isBuffer(content) ? content : Buffer.from(content), filename);

  it('refuses a file with unclosed tags', async () => {
    const response = await expectRefused(
      () => postXml(t, fixture('not-well-formed.bpmn')),
      400,
      /not a readable BPMN/,
    );
    expect(response.body.details).toEqual([
      { field: 'xml', message: expect.stringMatching(/unexpected end/) },
    ]);
  });

  it('refuses text that is not XML at all, and an empty body', async () => {
    await expectRefused(() => postXml(t, 'rm -rf / # definitely BPMN'), 400, /not a readable BPMN/);
    await expectRefused(() => postXml(t, ''), 400, /send the BPMN/);
    await expectRefused(
      () => t.as('process-designer').post('/api/process-definitions').send({ xml: '<bpmn:definitions/>' }),
      400,
      /send the BPMN/,
    );
  });

  it('refuses a 50 MB body with 413, as XML and as a multipart upload, without reading it into memory', async () => {
    const huge = Buffer.alloc(50 * 1024 * 1024, 'a');
    await expectRefused(() => postXml(t, huge), 413, /too large/);
    await expectRefused(() => multipart(huge), 413, /at most/);
  });

  it('refuses a file one byte over the cap', async () => {
    const xml = fixture('small-flow-v1.bpmn');
    const padded = xml.replace(
      '</bpmn:definitions>',
      `<!--${'x'.repeat(t.config.definitions.maxBpmnBytes)}-->\n</bpmn:definitions>`,
    );
    await expectRefused(() => multipart(padded), 413, /at most/);
  });

  it.each(['entity-expansion.bpmn', 'external-entity.bpmn'])(
    'refuses entity expansion (%s) before parsing, as a body and as an upload',
    async (file) => {
      for (const send of [() => postXml(t, fixture(file)), () => multipart(fixture(file))]) {
        const response = await expectRefused(send, 400, /document type declarations/);
        expect(response.body.details).toEqual([{ field: 'xml', message: expect.any(String) }]);
      }
    },
  );

  it('refuses a script task, naming it', async () => {
    const response = await expectRefused(() => multipart(fixture('script-task.bpmn')), 400, /script task/);
    expect(response.body.details).toEqual([
      { field: 'evil', message: expect.stringMatching(/FEEL expression only.*must not run code/) },
    ]);
  });

  it('deploys a job type with ":" (a Camunda connector\'s) as work for an external worker: it names no queue', async () => {
    const xml = fixture('unknown-job-type.bpmn').replace('teleport.package', 'teleport:package');
    const response = await postXml(t, xml);
    expect(response.status).toBe(201);
    expect(response.body.warnings).toEqual(
      expect.arrayContaining([
        {
          field: 'teleport',
          message: expect.stringContaining('no built-in handler carries out job type "teleport:package"'),
        },
      ]),
    );
  });

  it('refuses more flow elements than the cap', async () => {
    const ends = Array.from({ length: MAX_ELEMENTS }, (_, i) => `<bpmn:endEvent id="end-${i}"/>`).join('');
    const xml = fixture('small-flow-v1.bpmn').replace(
      '<bpmn:endEvent id="end-v1"/>',
      `<bpmn:endEvent id="end-v1"/>${ends}`,
    );
    const response = await expectRefused(() => postXml(t, xml), 400, /at most 2000 elements/);
    expect(response.body.details).toEqual([{ field: 'definitions-small-flow', message: expect.any(String) }]);
  });

  it('refuses elements nested deeper than a process can be, without crashing', async () => {
    const depth = 180_000;
    const nested = `${'<x:n>'.repeat(depth)}${'</x:n>'.repeat(depth)}`;
    const xml = fixture('small-flow-v1.bpmn')
      .replace('xmlns:zeebe=', 'xmlns:x="http://example.test/x" xmlns:zeebe=')
      .replace(
        '<zeebe:formDefinition formKey="release-assessment"/>',
        `<zeebe:formDefinition formKey="release-assessment"/>${nested}`,
      );
    expect(Buffer.byteLength(xml)).toBeLessThan(t.config.definitions.maxBpmnBytes);
    await expectRefused(() => postXml(t, xml), 400, /nest at most 100 levels/);
  });

  it('refuses a process name longer than can be stored', async () => {
    const xml = fixture('small-flow-v1.bpmn').replace('name="小流程"', `name="${'长'.repeat(300)}"`);
    const response = await expectRefused(() => postXml(t, xml), 400, /at most 255 characters/);
    expect(response.body.details).toEqual([
      { field: 'definitions-small-flow', message: expect.stringMatching(/process name/) },
    ]);
  });

  it('refuses a processing instruction such as xml-stylesheet; the XML declaration stays allowed', async () => {
    const xml = fixture('small-flow-v1.bpmn').replace(
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet type="text/xsl" href="http://example.test/x.xsl"?>',
    );
    const response = await expectRefused(
      () => postXml(t, xml),
      400,
      /processing instructions are not allowed/,
    );
    expect(response.body.details).toEqual([
      { field: 'xml', message: expect.stringContaining('<?xml-stylesheet') },
    ]);
  });

  it('refuses a multipart body that ends before its closing boundary with 400, and keeps answering', async () => {
    const boundary = 'cut-short-7f3a';
    const truncated =
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="flow.bpmn"\r\n` +
      `Content-Type: application/xml\r\n\r\n${fixture('small-flow-v1.bpmn')}`;
    const response = await expectRefused(
      () =>
        t
          .as('process-designer')
          .post('/api/process-definitions')
          .set('content-type', `multipart/form-data; boundary=${boundary}`)
          .send(truncated),
      400,
      /Unexpected end of form/,
    );
    expect(response.body.error).toBe('bad request');
    await postXml(t, fixture('small-flow-v1.bpmn'), 'process-designer', '/validate').expect(200);
  });

  describe('FEEL that would exhaust the service', () => {
    const hugeCondition = `=${Array.from({ length: 20_000 }, (_, i) => `x${i} = 1`).join(' or ')}`;

    it('refuses a 200 KB condition on validate and deploy before parsing it, naming the flow', async () => {
      expect(hugeCondition.length).toBeGreaterThan(200_000);
      const xml = conditionFlow('huge-condition', hugeCondition);
      const dryRun = await postXml(t, xml, 'process-designer', '/validate').expect(200);
      expect(dryRun.body).toMatchObject({
        valid: false,
        errors: [{ field: 'f-big', message: expect.stringMatching(/at most 4000 characters/) }],
      });
      const response = await expectRefused(
        () => postXml(t, xml),
        400,
        /f-big: the sequence flow: the condition: a FEEL expression may have at most/,
      );
      expect(response.body.details).toEqual([{ field: 'f-big', message: expect.any(String) }]);
    });

    it.each([
      ['a range of a billion', '=count(for i in 1..1000000000 return i) > 0', /iterates 1000000000 times/],
      [
        'nested quantifiers',
        '=some a in 1..100000, b in 1..100000 satisfies a = b',
        /iterates 10000000000 times/,
      ],
      ['fractional range bounds', '=count(for i in 1..1.5 return i) > 0', /whole-number bounds/],
      [
        'too many terms',
        `=count([${Array.from({ length: 600 }, () => '1').join(',')}]) > 0`,
        /at most 1000 terms/,
      ],
    ])('refuses %s, naming the flow', async (_what, condition, message) => {
      const response = await expectRefused(
        () => postXml(t, conditionFlow('iterating', condition)),
        400,
        message,
      );
      expect(response.body.details).toEqual([{ field: 'f-big', message: expect.stringMatching(message) }]);
    });

    it('refuses a due date whose FEEL is too long, naming the task', async () => {
      const xml = fixture('small-flow-v1.bpmn').replace(
        '<zeebe:formDefinition formKey="release-assessment"/>',
        `<zeebe:formDefinition formKey="release-assessment"/><zeebe:taskSchedule dueDate="=${'x + '.repeat(1500)}1"/>`,
      );
      const response = await expectRefused(() => postXml(t, xml), 400, /zeebe:TaskSchedule dueDate/);
      expect(response.body.details).toEqual([
        { field: 'review', message: expect.stringMatching(/dueDate: a FEEL expression may have at most/) },
      ]);
    });

    it('given a range sized by a variable, when the gateway evaluates it, then the gateway waits with an incident naming it and the service keeps answering', async () => {
      await t
        .get<DefinitionService>(DefinitionService)
        .deploy(conditionFlow('variable-range', '=count(for i in 1..size return i) > 0'), 'test');
      const instance = await t.get<InstanceService>(InstanceService).start('variable-range', { size: 1e9 });

      const incident = await eventually(
        () => t.dataSource.getRepository(IncidentEntity).findOneBy({ instanceId: instance.id }),
        { what: 'the incident' },
      );
      expect(incident).toMatchObject({ elementId: 'decide', status: 'open' });
      expect(incident.error).toMatch(/did not finish within 200 ms/);
      expect(incident.error).toMatch(/decide|f-big/);
      const view = await t.as('admin').get(`/api/process-instances/${instance.id}`);
      expect(view.status).toBe(200);
      expect(view.body.status).toBe('running');
    });
  });

  describe('timers that would stall the engine or never fire sensibly', () => {
    it.each([
      ['timeCycle', 'PT0S', /repeats every 0 ms: the shortest interval is 60000 ms/],
      ['timeCycle', 'R/PT0.001S', /repeats every 1 ms/],
      ['timeCycle', 'R1000000/PT1H', /repeats 1000000 times: at most 1000/],
      ['timeCycle', 'R1000000/PT0S', /repeats every 0 ms/],
      ['timeDuration', 'P1000Y', /at most 3650 days ahead/],
      ['timeDate', '0000-01-01T00:00:00Z', /must lie between 2000-01-01 and 3650 days from now/],
      ['timeDate', '2999-01-01T00:00:00Z', /must lie between 2000-01-01/],
    ])('refuses %s %s, naming the timer', async (kind, value, message) => {
      const response = await expectRefused(
        () => postXml(t, timerFlow('timer-bounds', kind, value)),
        400,
        message,
      );
      expect(response.body.details).toEqual([{ field: 'wait', message: expect.stringMatching(message) }]);
    });

    it('takes timers within the bounds', async () => {
      for (const [kind, value] of [
        ['timeCycle', 'R3/PT1H'],
        ['timeDuration', 'PT1.5S'],
        ['timeDate', '2030-01-01T00:00:00Z'],
        ['timeDuration', '=escalationTimeout'],
      ] as const) {
        const dryRun = await postXml(t, timerFlow('timer-ok', kind, value), 'process-designer', '/validate');
        expect([kind, value, dryRun.body.errors]).toEqual([kind, value, []]);
      }
    });

    it('given a cycle made by FEEL at run time, when it is out of bounds, then an incident names the timer and nothing loops', async () => {
      await t
        .get<DefinitionService>(DefinitionService)
        .deploy(timerFlow('feel-cycle', 'timeCycle', '=cycle'), 'test');
      const instance = await t
        .get<InstanceService>(InstanceService)
        .start('feel-cycle', { cycle: 'R1000000/PT0S' });

      const incident = await eventually(
        () => t.dataSource.getRepository(IncidentEntity).findOneBy({ instanceId: instance.id }),
        { what: 'the incident' },
      );
      expect(incident.error).toMatch(/wait: timeCycle "R1000000\/PT0S" repeats every 0 ms/);
    });
  });
});
