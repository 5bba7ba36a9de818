import { Client } from 'pg';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually, newTestResources } from '../support/test-env';
import { TcpProxy } from '../support/tcp-proxy';
import { ReleaseDriver } from '../support/release-driver';

/**
 * PostgreSQL goes away for a moment (a restart, a failover): the app reaches it through a proxy the test
 * cuts. Requests answer 503 with Retry-After instead of 500, readiness names the database and its error,
 * nothing half-done is stored, and the app serves again as soon as the database is back.
 */
describe('a database outage', () => {
  let t: TestApp;
  let proxy: TcpProxy;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    const resources = newTestResources();
    const target = new URL(resources.databaseUrl);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    const port = await proxy.start();
    const viaProxy = new URL(resources.databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(port);
    t = await startTestApp({ DATABASE_URL: viaProxy.toString() }, resources);
    await t.app.listen(0, '127.0.0.1');
    driver = new ReleaseDriver(await t.app.getUrl(), t.tokens);
    await driver.file('emergency', { title: 'before the outage' });
  }, 60_000);

  afterAll(async () => {
    proxy?.restore();
    await t?.close();
    await proxy?.stop();
  });

  it('answers 503 with Retry-After while the database is gone, and serves again once it is back', async () => {
    // given the database connections are cut and new ones refused
    proxy.cut();

    // when a list is read and a release is filed, then both answer 503 with Retry-After
    const list = await t.as('project-manager').get('/api/releases');
    expect(list.status).toBe(503);
    expect(list.headers['retry-after']).toMatch(/^\d+$/);
    expect(list.body).toMatchObject({ statusCode: 503, message: expect.stringMatching(/database/) });
    const filing = await driver.call(
      'POST',
      '/api/releases',
      {
        class: 'emergency',
        request: { title: 'during the outage', source: 'software' },
      },
      'applicant',
    );
    expect(filing.status).toBe(503);

    // and readiness says the database is down, and why
    const ready = await t.http().get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.headers['retry-after']).toMatch(/^\d+$/);
    expect(ready.body.message).toMatch(/database is down \(.+\)/);
    // (each probe also says how long it took)
    expect(ready.body.details.database).toEqual({
      status: 'down',
      message: expect.any(String),
      responseTime: expect.any(Number),
    });
    expect(ready.body.details.redis).toEqual({ status: 'up', responseTime: expect.any(Number) });

    // when the database is back, then the app serves again without a restart
    proxy.restore();
    await eventually(async () => (await t.http().get('/health/ready')).status === 200, {
      what: 'readiness after the outage',
    });
    const after = await t.as('project-manager').get('/api/releases?pageSize=200').expect(200);
    // and the filing refused during the outage left nothing behind
    expect(after.body.items.map((r: { title: string }) => r.title)).toEqual(['before the outage']);
  });
});

/**
 * A statement stuck behind a lock (a long migration by hand, a forgotten session): PostgreSQL cancels it after
 * DATABASE_STATEMENT_TIMEOUT_MS, so the request answers 503 instead of holding its connection forever.
 */
describe('a statement stuck behind a lock', () => {
  let t: TestApp;
  let blocker: Client;

  beforeAll(async () => {
    t = await startTestApp({ DATABASE_STATEMENT_TIMEOUT_MS: '1000' });
    blocker = new Client({ connectionString: t.resources.databaseUrl });
    await blocker.connect();
  }, 60_000);

  afterAll(async () => {
    await blocker?.end();
    await t?.close();
  });

  it('answers 503 once the statement timeout runs out, and serves again when the lock is gone', async () => {
    // given another session holds the release table locked
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE release IN ACCESS EXCLUSIVE MODE');

    // when the releases are listed, then PostgreSQL cancels the waiting statement and the answer is a 503
    const stuck = await t.as('project-manager').get('/api/releases');
    expect(stuck.status).toBe(503);
    expect(stuck.headers['retry-after']).toMatch(/^\d+$/);
    expect(stuck.body.message).toMatch(/did not answer in time/);

    // when the lock is released, then the same request is served
    await blocker.query('ROLLBACK');
    await t.as('project-manager').get('/api/releases').expect(200);
  });
});
