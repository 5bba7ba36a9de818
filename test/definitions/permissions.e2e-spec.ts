import { TEST_ROLES } from '../support/users';
import { startTestApp, type TestApp } from '../support/test-app';
import { fixture, postXml, storedDefinitions } from './definitions-support';

const DESIGNERS = new Set(['process-designer', 'admin']);

/** Who may do what with definitions: everyone signed in reads, only designers and admins deploy or validate. */
describe('definition permissions', () => {
  let t: TestApp;
  let xml: string;

  beforeAll(async () => {
    t = await startTestApp();
    xml = fixture('small-flow-v1.bpmn');
  });
  afterAll(() => t.close());

  const table = TEST_ROLES.flatMap((role) => [
    [role, 'GET', '/api/process-definitions', 200],
    [role, 'GET', '/api/process-definitions/standard-release/versions', 200],
    [role, 'GET', '/api/process-definitions/standard-release/versions/1/xml', 200],
    [role, 'POST', '/api/process-definitions/validate', DESIGNERS.has(role) ? 200 : 403],
    [role, 'POST', '/api/process-definitions', DESIGNERS.has(role) ? 'deploys' : 403],
  ]) as Array<[string, 'GET' | 'POST', string, number | 'deploys']>;

  it.each(table)('%s: %s %s -> %s', async (role, method, path, expected) => {
    const before = await storedDefinitions(t);
    const response =
      method === 'GET'
        ? await t.as(role).get(path)
        : await postXml(
            t,
            xml.replace('name="小流程"', `name="小流程 ${role}"`),
            role,
            path.replace('/api/process-definitions', ''),
          );
    if (expected === 'deploys') {
      expect(response.status).toBe(201);
      expect(response.body.deployedBy).toBe(role);
      return;
    }
    expect(response.status).toBe(expected);
    if (expected === 403) {
      expect(response.body.message).toMatch(/process-designer, admin/);
      expect(await storedDefinitions(t)).toEqual(before);
    }
  });

  it.each([
    ['GET', '/api/process-definitions'],
    ['GET', '/api/process-definitions/standard-release/versions/1/xml'],
    ['POST', '/api/process-definitions'],
    ['POST', '/api/process-definitions/validate'],
  ])('%s %s without a token -> 401', async (method, path) => {
    for (const authorization of [undefined, 'Bearer not-a-token']) {
      const request =
        method === 'GET'
          ? t.http().get(path)
          : t.http().post(path).set('content-type', 'application/xml').send(xml);
      if (authorization) request.set('Authorization', authorization);
      expect((await request).status).toBe(401);
    }
  });
});
