import fc from 'fast-check';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { ReleaseDriver } from '../support/release-driver';

/**
 * Generated hostile JSON (deep, huge, odd strings and odd keys) thrown at the three ways user JSON gets
 * stored: filing a release, completing a task, writing the CMDB. Never a 5xx; a refusal changes nothing.
 */
describe('hostile JSON, generated', () => {
  let t: TestApp;
  let base: string;
  let driver: ReleaseDriver;
  let task: { id: string };

  // Modest by default so the file stays quick; PROPERTY_RUNS=1000 for a longer hunt.
  const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);

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

  const snapshot = async () =>
    t.dataSource.query(`SELECT
      (SELECT count(*) FROM release)::int AS releases,
      (SELECT coalesce(sum(revision), 0) FROM process_instance)::int AS revisions,
      (SELECT count(*) FROM user_task WHERE status = 'open')::int AS open_tasks,
      (SELECT count(*) FROM history_event)::int AS history,
      (SELECT count(*) FROM job)::int AS jobs,
      (SELECT count(*) FROM cmdb_item)::int AS cmdb_items,
      (SELECT count(*) FROM cmdb_item_version)::int AS cmdb_versions`);

  const openTask = async () => {
    const release = await driver.file('standard');
    task = await driver.openTask(release.id, 'assess-request');
    await settled();
  };

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    base = await t.app.getUrl();
    driver = new ReleaseDriver(base, t.tokens);
    await openTask();
  }, 60_000);
  afterAll(() => t.close());

  // Strings: anything UTF-16 can hold (lone surrogates too), the usual suspects, and plain text with a NUL
  // or half a surrogate pair somewhere in it.
  const unstorable = fc
    .tuple(
      fc.string({ maxLength: 10 }),
      fc.constantFrom('\u0000', '\ud800', '\udc00', '\udbff'),
      fc.string({ maxLength: 10 }),
    )
    .map((parts) => parts.join(''));
  const oddString = fc.oneof(
    unstorable,
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '\u0000',
      'a\u0000b',
      '\ud800',
      'x\udfff',
      '😀',
      '\u202eevil\u202c',
      'مرحبا',
      '发布申请',
      '',
      ' ',
      '"\\',
      "'; DROP TABLE release; --",
      '<script>alert(1)</script>',
      'x'.repeat(70_000),
    ),
  );
  const oddKey = fc.oneof(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'valueOf',
      'hasOwnProperty',
      'title',
      'source',
      'class',
      'request',
      'data',
      'name',
      'type',
      'attributes',
      'a\u0000',
      '\ud800',
      '',
    ),
    fc.string({ unit: 'binary', maxLength: 8 }),
  );
  const number = fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
    fc.constantFrom('1e308', '-0', '99999999999999999999', '1.5'),
  );

  // JSON texts, written out here so that "__proto__" stays a plain key (objects would give it a meaning).
  const { json } = fc.letrec<{ json: string }>((tie) => ({
    json: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      oddString.map((s) => JSON.stringify(s)),
      number,
      fc.constantFrom('true', 'false', 'null'),
      fc.array(tie('json'), { maxLength: 5 }).map((items) => `[${items.join(',')}]`),
      fc
        .array(fc.tuple(oddKey, tie('json')), { maxLength: 5 })
        .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`),
    ),
  }));
  const deep = fc
    .tuple(fc.integer({ min: 60, max: 20_000 }), fc.constantFrom('[', '{"a":'))
    .map(([depth, open]) => open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth));
  const huge = fc.integer({ min: 100_000, max: 1_500_000 }).map((n) => `{"x":"${'y'.repeat(n)}"}`);

  /** Something hostile to put where a value goes. */
  const poison = fc.oneof(
    { weight: 3, arbitrary: unstorable.map((s) => JSON.stringify(s)) },
    { weight: 2, arbitrary: oddString.map((s) => JSON.stringify(s)) },
    { weight: 2, arbitrary: json },
    { weight: 1, arbitrary: deep },
  );

  /**
   * The endpoint's own body, valid but for one thing: one value poisoned, or one extra key (an odd one,
   * with a valid or a poisoned value). `fields` are the body's [path, valid JSON] pairs.
   */
  const shaped = (fields: ReadonlyArray<readonly [string, string]>) =>
    fc
      .tuple(fc.nat(fields.length), poison, oddKey, fc.oneof(fc.constant('"x"'), poison))
      .map(([which, bad, key, extraValue]) => {
        const values = new Map(fields.map(([path, valid], i) => [path, i === which ? bad : valid]));
        return render(values, which === fields.length ? [key, extraValue] : undefined);
      });

  /** Writes [path, JSON] pairs ("request.title") as nested objects, plus an extra key at the innermost one. */
  const render = (values: Map<string, string>, extra?: [string, string]): string => {
    const tree = new Map<string, Map<string, string> | string>();
    let innermost = tree;
    for (const [path, value] of values) {
      let node = tree;
      const parts = path.split('.');
      for (const part of parts.slice(0, -1)) {
        if (!node.has(part)) node.set(part, new Map());
        node = node.get(part) as typeof tree;
      }
      node.set(parts[parts.length - 1]!, value);
      innermost = node;
    }
    const write = (node: typeof tree, withExtra: boolean): string => {
      const entries = [...node].map(
        ([k, v]) => `${JSON.stringify(k)}:${typeof v === 'string' ? v : write(v, v === innermost)}`,
      );
      if (withExtra && extra) entries.push(`${JSON.stringify(extra[0])}:${extra[1]}`);
      return `{${entries.join(',')}}`;
    };
    return write(tree, tree === innermost);
  };

  /** Any body; the endpoint's own shape with one hostile part is the likeliest. */
  const body = (fields: ReadonlyArray<readonly [string, string]>) =>
    fc.oneof(
      { weight: 6, arbitrary: shaped(fields) },
      { weight: 1, arbitrary: json },
      { weight: 1, arbitrary: deep },
      { weight: 1, arbitrary: huge },
      { weight: 1, arbitrary: fc.constantFrom('', '{', 'null', '[]') },
    );

  const releaseBody = body([
    ['class', '"emergency"'],
    ['request.title', '"Upgrade billing"'],
    ['request.source', '"software"'],
    ['request.scope', '"all branches"'],
  ]);
  const taskBody = body([
    ['data.assessmentDecision', '"reject"'],
    ['data.impactAssessment', '"none"'],
  ]);
  const cmdbBody = body([
    ['name', '"billing-api"'],
    ['type', '"software"'],
    ['attributes.host', '"app-01"'],
  ]);

  /** Sends the text; on a refusal nothing stored may change. */
  const throwAt = async (path: string, text: string, as: string): Promise<number> => {
    const before = await snapshot();
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens[as]}` },
      body: text,
    });
    const answer = await response.text();
    if (response.status >= 500) throw new Error(`${response.status} ${answer.slice(0, 500)}`);
    if (response.status >= 400) {
      expect(JSON.parse(answer)).toMatchObject({ statusCode: response.status, message: expect.any(String) });
      expect(await snapshot()).toEqual(before);
    }
    return response.status;
  };

  it('filing a release: never a 5xx, a refusal changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(releaseBody, async (text) => {
        if ((await throwAt('/api/releases', text, 'applicant')) < 300) await settled();
      }),
      { numRuns: RUNS },
    );
  });

  it('completing a task: never a 5xx, a refusal changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(taskBody, async (text) => {
        const status = await throwAt(`/api/tasks/${task.id}/complete`, text, 'project-manager');
        if (status < 300) await openTask(); // the task is done: the next body gets a fresh one
      }),
      { numRuns: RUNS },
    );
  });

  it('writing the CMDB: never a 5xx, a refusal changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(cmdbBody, async (text) => {
        await throwAt('/api/cmdb/items', text, 'network-engineer');
      }),
      { numRuns: RUNS },
    );
  });
});
