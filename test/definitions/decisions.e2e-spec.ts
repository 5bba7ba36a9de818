import { DecisionService } from '../../src/definitions/decision.service';
import { ReleaseDriver } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { fixture } from './definitions-support';

const KEY = 'release-class';

/**
 * DMN files are deployed and versioned like processes: each decision, keyed by its id, gets a new version when
 * the file changes; the same file again is not a new version; a decision is evaluated on its latest version.
 */
describe('decisions (DMN): deploy, version, evaluate', () => {
  let t: TestApp;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp();
    driver = ReleaseDriver.forApp(t);
  });
  afterAll(() => t.close());

  const versions = async () =>
    (await driver.get<Array<{ version: number }>>(`/api/decision-definitions/${KEY}/versions`)).map(
      (v) => v.version,
    );
  const classify = (variables: Record<string, unknown>) =>
    driver.request('POST', `/api/decision-definitions/${KEY}/evaluate`, {
      body: { variables },
      as: 'process-designer',
    });
  const storedDecisions = async () =>
    (await t.dataSource.query('SELECT count(*)::int AS n FROM decision_definition'))[0].n as number;

  it('deploys a DMN file through the deploy endpoint: version 1 of each decision in it', async () => {
    const response = await driver.deploy(fixture('release-class-v1.dmn'));
    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      requirements: { key: 'release-classification', version: 1, name: '发布分类' },
      decisions: [{ id: expect.any(String), key: KEY, version: 1, name: '发布分类', created: true }],
      created: true,
    });
    expect(await driver.get('/api/decision-definitions', 'applicant')).toContainEqual(
      expect.objectContaining({ key: KEY, version: 1, requirementsKey: 'release-classification' }),
    );
  });

  it('redeploying the same content is the same version (200, nothing new)', async () => {
    const response = await driver.deploy(
      fixture('release-class-v1.dmn'),
      'admin',
      '/api/decision-definitions',
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      created: false,
      decisions: [{ key: KEY, version: 1, created: false }],
    });
    expect(await versions()).toEqual([1]);
  });

  it('evaluates the latest version by decision id, for a business rule task', async () => {
    const outcome = await t.get<DecisionService>(DecisionService).evaluateLatest(KEY, {
      urgent: false,
      risk: '中',
      impact: '全公司',
    });
    expect(outcome).toMatchObject({
      decisionId: KEY,
      version: 1,
      output: { releaseClass: 'major', className: '重大发布' },
      evaluated: [{ decisionId: KEY, matchedRules: ['release-class-r3'] }],
    });
    const department = await classify({ urgent: false, risk: '低', impact: '部门' });
    expect(department).toMatchObject({ status: 200, body: { output: null, version: 1 } });
  });

  it('a changed file is version 2, and evaluation follows it', async () => {
    const response = await driver.deploy(fixture('release-class-v2.dmn'));
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      requirements: { version: 2 },
      decisions: [{ key: KEY, version: 2, created: true }],
    });
    expect(await versions()).toEqual([2, 1]);
    const department = await classify({ urgent: false, risk: '低', impact: '部门' });
    expect(department).toMatchObject({
      status: 200,
      body: { output: { releaseClass: 'standard', className: '标准发布' }, version: 2 },
    });
  });

  it('serves each version as deployed', async () => {
    for (const [version, file] of [
      [1, 'release-class-v1.dmn'],
      [2, 'release-class-v2.dmn'],
    ] as const) {
      const response = await driver.request(
        'GET',
        `/api/decision-definitions/${KEY}/versions/${version}/xml`,
        {
          as: 'applicant',
        },
      );
      expect(response).toEqual({ status: 200, body: fixture(file) });
    }
  });

  it('deploying the earlier file again makes it the latest: version 3', async () => {
    const response = await driver.deploy(fixture('release-class-v1.dmn'));
    expect(response).toMatchObject({
      status: 201,
      body: { decisions: [{ key: KEY, version: 3, created: true }] },
    });
    expect(await classify({ urgent: false, risk: '低', impact: '部门' })).toMatchObject({
      body: { output: null, version: 3 },
    });
  });

  it('a bad DMN file is a 400 naming the decision, rule and column, and stores nothing', async () => {
    const before = await storedDecisions();
    const response = await driver.deploy(fixture('release-class-bad.dmn'));
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([
      {
        field: 'release-class.release-class-r2',
        message:
          'decision "release-class": rule 2 (release-class-r2), input "风险等级": FEEL syntax error at position 0',
      },
    ]);
    expect(await storedDecisions()).toBe(before);
    const dryRun = await driver.request('POST', '/api/decision-definitions/validate', {
      body: fixture('release-class-bad.dmn'),
      contentType: 'application/xml',
      as: 'process-designer',
    });
    expect(dryRun).toMatchObject({ status: 200, body: { valid: false, errors: response.body.details } });
  });

  it('refuses document type declarations as the BPMN deploy does', async () => {
    const xml = fixture('release-class-v1.dmn').replace(
      '<definitions',
      '<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<definitions',
    );
    const response = await driver.deploy(xml);
    expect(response).toMatchObject({
      status: 400,
      body: {
        details: [{ field: 'xml', message: 'document type declarations and entities are not allowed' }],
      },
    });
  });

  it('deploying is for process designers and administrators', async () => {
    expect((await driver.deploy(fixture('release-class-v1.dmn'), 'applicant')).status).toBe(403);
    expect(
      (await driver.deploy(fixture('release-class-v1.dmn'), 'applicant', '/api/decision-definitions')).status,
    ).toBe(403);
  });

  it('a decision that fails is a 422 naming the decision and its inputs; an unknown one is a 404', async () => {
    expect((await driver.deploy(fixture('release-windows.dmn'))).status).toBe(201);
    const response = await driver.request('POST', '/api/decision-definitions/overlapping-windows/evaluate', {
      body: { variables: { downtimeMinutes: 30 } },
      as: 'process-designer',
    });
    expect(response.status).toBe(422);
    expect(response.body.message).toBe(
      'decision "overlapping-windows" (发布窗口) failed: hit policy UNIQUE allows one matching rule, 2 matched: ' +
        'rule 1 (overlapping-windows-r1), rule 2 (overlapping-windows-r2); inputs: 停机时长(分钟) = 30',
    );
    const unknown = await driver.request('POST', '/api/decision-definitions/no-such-decision/evaluate', {
      body: { variables: {} },
      as: 'process-designer',
    });
    expect(unknown).toMatchObject({
      status: 404,
      body: { message: 'no decision "no-such-decision" is deployed' },
    });
  });
});
