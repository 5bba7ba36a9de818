import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/test-app';
import { storedDecisions, storedDefinitions } from './definitions-support';
import { readFileSync } from 'node:fs';

const FIXTURES = join(__dirname, 'fixtures', 'crossed');
const ROUNDS = 5;

/**
 * Two deployments of the same processes (or decisions) whose files sort in crossed orders (the keys of the first's
 * first file are those of the second's last): the keys of a deployment are locked in one sorted order, not file by
 * file, so they wait for each other instead of deadlocking (a deadlock shows as PostgreSQL 40P01, a 500 here, or a
 * timeout).
 */
describe('concurrent deployments of crossed files', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ PROCESSES_DIR: join(__dirname, '..', 'instances', 'fixtures') });
  });
  afterAll(() => t.close());

  /** A fixture changed for this deployment, so each of its processes gets a new version. */
  const changed = (file: string, tag: string) =>
    Buffer.from(
      readFileSync(join(FIXTURES, file), 'utf8')
        .replace(/name="结束"/g, `name="结束 ${tag}"`)
        .replace(/name="交叉决策"/g, `name="交叉决策 ${tag}"`),
    );
  const deploy = (files: ReadonlyArray<readonly [name: string, content: Buffer]>) => {
    let req = t.as('process-designer').post('/v2/deployments');
    for (const [name, content] of files) req = req.attach('resources', content, name);
    return req;
  };

  it(`given files holding crossed-a and crossed-b with crossed-c, when two deployments name them in crossed orders and run at once, ${ROUNDS} times, then every one succeeds and each process has a version per deployment`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const [byKeyOrder, crossed] = await Promise.all([
        // files in name order: crossed-a, then crossed-b and crossed-c
        deploy([
          ['crossed-first.bpmn', changed('crossed-first.bpmn', `${round}x`)],
          ['crossed-second.bpmn', changed('crossed-second.bpmn', `${round}x`)],
        ]),
        // files in name order: crossed-b and crossed-c, then crossed-a
        deploy([
          ['1-build-and-audit.bpmn', changed('crossed-second.bpmn', `${round}y`)],
          ['2-register.bpmn', changed('crossed-first.bpmn', `${round}y`)],
        ]),
      ]);

      expect([byKeyOrder.status, crossed.status]).toEqual([200, 200]);
    }

    const versions = (await storedDefinitions(t)).filter((d) => d.key.startsWith('crossed-'));
    const expected = Array.from({ length: 2 * ROUNDS }, (_, i) => i + 1);
    expect(versions).toEqual([
      ...expected.map((version) => ({ key: 'crossed-a', version })),
      ...expected.map((version) => ({ key: 'crossed-b', version })),
      ...expected.map((version) => ({ key: 'crossed-c', version })),
    ]);
  });

  it(`given DMN files holding crossed-decision-a and crossed-decision-b with crossed-decision-c, when two deployments name them in crossed orders and run at once, ${ROUNDS} times, then every one succeeds and each decision has a version per deployment`, async () => {
    for (let round = 1; round <= ROUNDS; round++) {
      const [byKeyOrder, crossed] = await Promise.all([
        // files in name order: crossed-decision-a, then crossed-decision-b and crossed-decision-c
        deploy([
          ['crossed-first.dmn', changed('crossed-first.dmn', `${round}x`)],
          ['crossed-second.dmn', changed('crossed-second.dmn', `${round}x`)],
        ]),
        // files in name order: crossed-decision-b and crossed-decision-c, then crossed-decision-a
        deploy([
          ['1-classify.dmn', changed('crossed-second.dmn', `${round}y`)],
          ['2-approve.dmn', changed('crossed-first.dmn', `${round}y`)],
        ]),
      ]);

      expect([byKeyOrder.status, crossed.status]).toEqual([200, 200]);
    }

    const versions = (await storedDecisions(t)).filter((d) => d.key.startsWith('crossed-'));
    const expected = Array.from({ length: 2 * ROUNDS }, (_, i) => i + 1);
    expect(versions).toEqual([
      ...expected.map((version) => ({ key: 'crossed-decision-a', version })),
      ...expected.map((version) => ({ key: 'crossed-decision-b', version })),
      ...expected.map((version) => ({ key: 'crossed-decision-c', version })),
    ]);
  });
});
