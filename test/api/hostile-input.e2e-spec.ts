import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { ReleaseDriver } from '../support/release-driver';
import { MAX_PAGE } from '../../src/platform/http/page-query.dto';

/**
 * Hostile clients: strings PostgreSQL cannot store, bodies nested past any stack, page numbers past any
 * offset, keys that reach a prototype. Each gets a 400 naming the field, and nothing stored changes.
 */
describe('hostile input', () => {
  let t: TestApp;
  let base: string;
  let driver: ReleaseDriver;
  let task: { id: string };

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = await t.app.getUrl();
    driver = new ReleaseDriver(base, t.tokens);
    const release = await driver.file('standard');
    task = await driver.openTask(release.id, 'assess-request');
    await settled();
  }, 60_000);
  afterAll(() => t.close());

  /** Filed releases have run their service tasks, so that only a request can change what is stored. */
  const settled = () =>
    eventually(
      async () => {
        const [{ busy }] = await t.dataSource.query(
          `SELECT count(*)::int AS busy FROM job WHERE status = 'pending' AND kind <> 'timer'`,
        );
        return busy === 0;
      },
      { what: 'service tasks to finish' },
    );

  /** Everything a request could have changed. */
  const snapshot = async () =>
    t.dataSource.query(`SELECT
      (SELECT count(*) FROM release)::int AS releases,
      (SELECT coalesce(sum(revision), 0) FROM process_instance)::int AS revisions,
      (SELECT count(*) FROM user_task WHERE status = 'open')::int AS open_tasks,
      (SELECT count(*) FROM history_event)::int AS history,
      (SELECT count(*) FROM job)::int AS jobs,
      (SELECT count(*) FROM cmdb_item)::int AS cmdb_items,
      (SELECT count(*) FROM cmdb_item_version)::int AS cmdb_versions`);

  /** A raw request (the text is sent as is) as a user; the answer with its body parsed. */
  const send = async (method: string, path: string, text?: string, as = 'applicant') => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${t.tokens[as]}`,
        ...(text === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: text,
    });
    return { status: response.status, body: (await response.json()) as any };
  };

  /** The request is refused with 400 naming `field`, and nothing stored changes. */
  const expectRefused = async (
    method: string,
    path: string,
    body: unknown,
    field: string,
    as = 'applicant',
  ): Promise<{ status: number; body: any }> => {
    const before = await snapshot();
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const response = await send(method, path, text, as);
    expect(response).toMatchObject({
      status: 400,
      body: {
        statusCode: 400,
        message: expect.stringContaining(field),
        details: expect.arrayContaining([expect.objectContaining({ field })]),
      },
    });
    expect(await snapshot()).toEqual(before);
    return response;
  };

  const validRequest = { title: 'Upgrade billing', source: 'software', rollbackPlan: 'restore' };
  const validAssessment = { assessmentDecision: 'reject', impactAssessment: 'none' };

  const taskIsStillOpen = async () => {
    const stored = await driver.call('GET', `/api/tasks/${task.id}`, undefined, 'project-manager');
    expect(stored.body).toMatchObject({ status: 'open', output: null });
  };

  describe('NUL and lone surrogates', () => {
    it.each([
      ['a NUL in the title', { title: 'a\u0000b' }, 'request.title', /NUL/],
      ['a lone high surrogate in the scope', { scope: 'x\ud800' }, 'request.scope', /surrogate/],
      [
        'a lone low surrogate in a list',
        { configurationItems: ['ok', '\udc00'] },
        'request.configurationItems.1',
        /surrogate/,
      ],
      ['a NUL in a key', { 'ti\u0000tle': 'x' }, 'request.ti\\u0000tle', /NUL/],
    ])('refuses a release request with %s', async (_what, change, field, message) => {
      const { body } = await expectRefused(
        'POST',
        '/api/releases',
        { class: 'standard', request: { ...validRequest, ...change } },
        field,
      );
      expect(body.details).toContainEqual({ field, message: expect.stringMatching(message) });
    });

    it('refuses task data with a NUL, and the task stays open', async () => {
      await expectRefused(
        'POST',
        `/api/tasks/${task.id}/complete`,
        { data: { ...validAssessment, impactAssessment: 'none\u0000' } },
        'data.impactAssessment',
        'project-manager',
      );
      await taskIsStillOpen();
    });

    it('refuses a CMDB item whose name or attribute key is not storable, and keeps no item', async () => {
      await expectRefused(
        'POST',
        '/api/cmdb/items',
        { name: 'billing\u0000api', type: 'software' },
        'name',
        'network-engineer',
      );
      await expectRefused(
        'POST',
        '/api/cmdb/items',
        { name: 'billing-api', type: 'software', attributes: { host: { '\ud800': 'x' } } },
        'attributes.host.\\ud800',
        'network-engineer',
      );
      const stored = await driver.call('GET', '/api/cmdb/items/billing-api', undefined, 'applicant');
      expect(stored.status).toBe(404);
    });

    it.each([
      ['/api/releases/REL%00', 'idOrNumber'],
      ['/api/cmdb/items/billing%00api', 'idOrName'],
      ['/api/releases/REL-1/reports/release%00report', 'kind'],
      ['/api/releases?q=%00', 'q'],
      ['/api/releases?number=REL%00', 'number'],
      ['/api/cmdb/items?q=a%00b', 'q'],
      ['/api/tasks?candidateGroup=%00', 'candidateGroup'],
    ])('refuses %s naming %s', async (path, field) => {
      await expectRefused('GET', path, undefined, field);
    });

    it('refuses a path that is not valid percent-encoded UTF-8 (a lone surrogate) with 400', async () => {
      const response = await send('GET', '/api/releases/%ED%A0%80');
      expect(response.status).toBe(400);
      expect(response.body.message).toMatch(/decode/);
    });

    it('takes emoji and right-to-left text as they are', async () => {
      const title = '发布 😀 \u202eمرحبا\u202c';
      const filed = await driver.file('emergency', { title });
      await settled();
      const stored = await driver.call('GET', `/api/releases/${filed.id}`, undefined, 'project-manager');
      expect(stored.body.title).toBe(title);
    });
  });

  describe('deep nesting', () => {
    const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

    it('refuses a body nested 10,000 levels deep with 400, before anything parses it', async () => {
      const { body } = await expectRefused(
        'POST',
        '/api/releases',
        `{"class":"standard","request":{"title":${nested(10_000)}}}`,
        'body',
      );
      expect(body.message).toMatch(`deeper than ${t.config.jsonMaxDepth} levels`);
    });

    it('refuses task data one level past the cap and lets the cap itself through to validation', async () => {
      const cap = t.config.jsonMaxDepth;
      // {"data": {"note": [...]}}: two levels of objects around the arrays
      await expectRefused(
        'POST',
        `/api/tasks/${task.id}/complete`,
        `{"data":{"note":${nested(cap - 1)}}}`,
        'body',
        'project-manager',
      );
      const atCap = await send(
        'POST',
        `/api/tasks/${task.id}/complete`,
        `{"data":{"note":${nested(cap - 2)}}}`,
        'project-manager',
      );
      expect(atCap.status).toBe(400);
      expect(atCap.body.message).not.toMatch(/deeper/);
      await taskIsStillOpen();
    });
  });

  describe('page numbers and sizes', () => {
    const lists = ['/api/releases', '/api/tasks', '/api/cmdb/items', '/api/incidents'];

    it.each(
      lists.flatMap((list) => [
        [list, 'page=1e308', 'page'],
        [list, 'page=99999999999999999999', 'page'],
        [list, `page=${MAX_PAGE + 1}`, 'page'],
        [list, 'page=0', 'page'],
        [list, 'page=-1', 'page'],
        [list, 'page=1.5', 'page'],
        [list, 'page=NaN', 'page'],
        [list, 'page=1&page=2', 'page'],
        [list, 'pageSize=1e308', 'pageSize'],
        [list, 'pageSize=201', 'pageSize'],
        [list, 'pageSize=0', 'pageSize'],
      ]),
    )('%s?%s is refused naming %s', async (list, query, field) => {
      await expectRefused('GET', `${list}?${query}`, undefined, field, 'project-manager');
    });

    it.each(['99999999999999999999', '2147483648', '-1', '0', '1.5', 'x'])(
      'refuses definition version %s (PostgreSQL integer range) naming the parameter',
      async (version) => {
        await expectRefused(
          'GET',
          `/api/process-definitions/standard-release/versions/${version}/xml`,
          undefined,
          'version',
          'process-designer',
        );
      },
    );

    it('refuses a page past the last of a delivery list', async () => {
      const filed = await driver.file('emergency');
      await settled();
      await expectRefused(
        'GET',
        `/api/releases/${filed.id}/artifacts?page=1e308`,
        undefined,
        'page',
        'project-manager',
      );
    });

    it.each(lists)('%s serves the last page allowed, empty', async (list) => {
      const response = await send(
        'GET',
        `${list}?page=${MAX_PAGE}&pageSize=200`,
        undefined,
        'project-manager',
      );
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({ items: [], page: MAX_PAGE, pageSize: 200 });
    });
  });

  describe('keys that reach a prototype', () => {
    it.each([
      ['constructor', '{"constructor":{"prototype":{"isAdmin":true}}}', 'data.constructor'],
      ['__proto__', '{"__proto__":{"assessmentDecision":"approve"}}', 'data.__proto__'],
      ['prototype', '{"prototype":1}', 'data.prototype'],
      ['toString', '{"toString":"x"}', 'data.toString'],
    ])('refuses task data with "%s", and the task stays open', async (_key, extra, field) => {
      const data = JSON.stringify(validAssessment).replace(/}$/, `,${extra.slice(1, -1)}}`);
      await expectRefused(
        'POST',
        `/api/tasks/${task.id}/complete`,
        `{"data":${data}}`,
        field,
        'project-manager',
      );
      await taskIsStillOpen();
    });

    it('refuses a required field smuggled in through "__proto__"', async () => {
      await expectRefused(
        'POST',
        `/api/tasks/${task.id}/complete`,
        '{"data":{"impactAssessment":"none","__proto__":{"assessmentDecision":"approve"}}}',
        'data.__proto__',
        'project-manager',
      );
      await taskIsStillOpen();
    });

    it('refuses "__proto__" in a release request and at the top of a body', async () => {
      await expectRefused(
        'POST',
        '/api/releases',
        `{"class":"standard","request":{"title":"x","source":"software","rollbackPlan":"y","__proto__":{"title":"z"}}}`,
        'request.__proto__',
      );
      await expectRefused('POST', '/api/releases', '{"__proto__":{"class":"standard"}}', '__proto__');
    });

    it('refuses CMDB attributes with "constructor" deep inside', async () => {
      await expectRefused(
        'POST',
        '/api/cmdb/items',
        { name: 'billing-db', type: 'software', attributes: { disks: [{ constructor: 'x' }] } },
        'attributes.disks.0.constructor',
        'network-engineer',
      );
    });

    it('refuses "constructor" as a query parameter', async () => {
      await expectRefused('GET', '/api/releases?constructor=1', undefined, 'constructor');
    });
  });
});
