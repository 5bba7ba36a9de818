import { MAX_BPMN_BYTES, MAX_ELEMENTS } from '../../src/definitions/definition.service';
import { startTestApp, type TestApp } from '../support/test-app';
import { fixture, postXml, storedDefinitions } from './definitions-support';

/** Files that try to hurt the service: each gets a clear 4xx, nothing is stored, and the service keeps answering. */
describe('hostile definition uploads', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
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
      `<!--${'x'.repeat(MAX_BPMN_BYTES)}-->\n</bpmn:definitions>`,
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
    const response = await expectRefused(() => multipart(fixture('script-task.bpmn')), 400, /script tasks/);
    expect(response.body.details).toEqual([
      { field: 'evil', message: expect.stringMatching(/script tasks/) },
    ]);
  });

  it('refuses an unknown job type, naming the task and the type', async () => {
    const response = await expectRefused(() => postXml(t, fixture('unknown-job-type.bpmn')), 400, /teleport/);
    expect(response.body.details).toEqual([
      { field: 'teleport', message: 'no handler is registered for job type "teleport.package"' },
    ]);
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
    expect(Buffer.byteLength(xml)).toBeLessThan(MAX_BPMN_BYTES);
    await expectRefused(() => postXml(t, xml), 400, /nest at most 100 levels/);
  });

  it('refuses a process name longer than can be stored', async () => {
    const xml = fixture('small-flow-v1.bpmn').replace('name="小流程"', `name="${'长'.repeat(300)}"`);
    const response = await expectRefused(() => postXml(t, xml), 400, /at most 255 characters/);
    expect(response.body.details).toEqual([
      { field: 'definitions-small-flow', message: expect.stringMatching(/process name/) },
    ]);
  });
});
