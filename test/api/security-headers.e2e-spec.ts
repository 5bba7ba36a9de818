import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/test-app';
import { ReleaseDriver } from '../support/release-driver';
import { ReportService } from '../../src/releases/reports/report.service';
import { REPORT_CONTENT_SECURITY_POLICY } from '../../src/releases/reports/report-document';
import {
  QUEUE_BOARD_CONTENT_SECURITY_POLICY,
  SWAGGER_CONTENT_SECURITY_POLICY,
} from '../../src/platform/http/security-headers';

/** The headers every answer carries, and the policy of each kind of page. */
describe('security headers', () => {
  let t: TestApp;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    driver = new ReleaseDriver(await t.app.getUrl(), t.tokens);
  }, 60_000);
  afterAll(() => t.close());

  const expectApiHeaders = (headers: Record<string, string>) => {
    expect(headers['x-powered-by']).toBeUndefined();
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['content-security-policy']).toMatch(/^default-src 'none'/);
    expect(headers['content-security-policy']).not.toMatch(/script-src/);
  };

  it.each([
    ['a list', '/api/releases', 200],
    ['an unknown release', '/api/releases/REL-1999-0001', 404],
    ['a refused query', '/api/releases?page=0', 400],
  ])(
    'sends no X-Powered-By, nosniff, no-store and a nothing-runs CSP with %s',
    async (_what, path, status) => {
      const response = await t.as('project-manager').get(path);
      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expectApiHeaders(response.headers as Record<string, string>);
    },
  );

  it('sends them with an answer to no token and to a body that is not JSON', async () => {
    const unauthorised = await t.http().get('/api/releases');
    expect(unauthorised.status).toBe(401);
    expectApiHeaders(unauthorised.headers as Record<string, string>);
    const broken = await t
      .as('applicant')
      .post('/api/releases')
      .set('content-type', 'application/json')
      .send('{"x":');
    expect(broken.status).toBe(400);
    expectApiHeaders(broken.headers as Record<string, string>);
  });

  it('gives Swagger UI a policy that lets its own scripts run and nothing inline', async () => {
    const page = await t.http().get('/api/docs/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(SWAGGER_CONTENT_SECURITY_POLICY);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self';/);
    expect(page.headers['x-powered-by']).toBeUndefined();
    // The page's scripts are all files (an inline one would be blocked).
    expect(page.text).not.toMatch(/<script>/);
    const init = await t.http().get('/api/docs/swagger-ui-init.js');
    expect(init.status).toBe(200);
  });

  it('gives the queue board its own policy, even before sign-in', async () => {
    const board = await t.http().get('/admin/queues');
    expect(board.headers['content-security-policy']).toBe(QUEUE_BOARD_CONTENT_SECURITY_POLICY);
  });

  it('serves the HTML report under a policy that forbids every script and allows its inline styles', async () => {
    // given a release whose title tries to break out of the report's HTML, and its generated report
    const release = await driver.file('emergency', { title: '</title><script>alert(1)</script>' });
    await t.get<ReportService>(ReportService).generate(t.dataSource.manager, {
      jobId: randomUUID(),
      releaseId: release.id,
      kind: 'release-report',
    });

    // when it is fetched as HTML
    const html = await t
      .as('project-manager')
      .get(`/api/releases/${release.id}/reports/release-report?format=html`);

    // then scripts are forbidden by the policy, and the title is escaped anyway
    expect(html.status).toBe(200);
    const csp = html.headers['content-security-policy'];
    expect(csp).toBe(REPORT_CONTENT_SECURITY_POLICY);
    expect(csp).toMatch(/^default-src 'none'; style-src 'unsafe-inline'/);
    expect(csp).not.toMatch(/script-src/);
    expect(html.text).toContain('<style>');
    expect(html.text).not.toContain('<script>');
    expect(html.headers['cache-control']).toBe('no-store');
  });
});
