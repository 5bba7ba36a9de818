import type { TestApp } from '../support/test-app';
import { fileRelease, startFixture, usePeers } from './support/worker-world';
import { historyOf, waitForInstanceEnd, waitForJob } from '../support/release-driver';

/** cmdb.sync and release.rollback against the built-in CMDB, a real external-CMDB peer and a real rollback hook. */
describe('CMDB and rollback workers', () => {
  const peers = usePeers('cmdb');
  const { http } = peers;
  let t: TestApp;
  let n = 0;

  beforeAll(() => {
    t = peers.t;
  });
  beforeEach(() => {
    http.requests.length = 0;
  });

  const run = (
    releaseId: string,
    tasks: Array<{ id: string; type: string; headers?: Record<string, string> }>,
    variables = {},
  ) => startFixture(t, `cmdb-${++n}`, tasks, releaseId, variables);
  const item = async (name: string) =>
    (await t.as('applicant').get(`/api/cmdb/items/${name}`).expect(200)).body;
  const BUILD = { id: 'record-build', type: 'cmdb.sync', headers: { action: 'build' } };
  const INSTALL = { id: 'update-cmdb', type: 'cmdb.sync', headers: { action: 'install' } };
  const ROLLBACK = { id: 'rollback-release', type: 'release.rollback' };

  /** A first release puts the items at 4.1.0 / 15.1: the baseline of the releases after it. */
  async function installed(items: string[], version: string): Promise<string> {
    const release = await fileRelease(t, { configurationItems: items });
    await waitForInstanceEnd(t, await run(release.id, [INSTALL], { versionNumber: version }));
    http.requests.length = 0;
    return release.id;
  }

  it('given a build and an install, when cmdb.sync runs, then the items take their new versions, the baseline is kept, and each change reaches the external CMDB', async () => {
    await installed(['pay-api', 'pay-db@15.1'], '4.1.0');
    const release = await fileRelease(t, { configurationItems: ['pay-api', 'pay-db@15.2', 'pay-cache'] });
    const instanceId = await run(release.id, [BUILD, INSTALL], {
      versionNumber: '4.2.0',
      packageName: 'pay-4.2.0.tgz',
    });
    await waitForInstanceEnd(t, instanceId);

    expect((await item('pay-api')).currentVersion).toBe('4.2.0');
    expect((await item('pay-db')).currentVersion).toBe('15.2');
    expect(await item('pay-cache')).toMatchObject({ currentVersion: '4.2.0', type: 'software' });
    const api = await item('pay-api');
    expect(
      api.history.map((h: any) => [h.change, h.previousVersion, h.version, h.release?.number ?? null]),
    ).toEqual([
      ['install', null, '4.1.0', expect.any(String)],
      ['build', '4.1.0', '4.2.0', release.number],
      ['install', '4.1.0', '4.2.0', release.number],
    ]);
    expect(api.history[1].details).toMatchObject({ packageName: 'pay-4.2.0.tgz' });
    expect(api.releases.map((r: any) => r.number)).toContain(release.number);
    expect(api.releases.find((r: any) => r.number === release.number)).toMatchObject({
      baselineVersion: '4.1.0',
    });

    const pushes = http.to('/cmdb');
    expect(pushes.map((p) => p.body.action)).toEqual(['build', 'install']);
    expect(pushes[1]!.headers.authorization).toBe('Bearer external-cmdb-token');
    expect(pushes[1]!.headers['x-idempotency-key']).toBe(pushes[1]!.body.idempotencyKey);
    expect(pushes[1]!.body).toMatchObject({
      release: { id: release.id, number: release.number, version: '4.2.0' },
      items: expect.arrayContaining([
        { name: 'pay-api', type: 'software', change: 'install', version: '4.2.0', previousVersion: '4.1.0' },
        { name: 'pay-db', type: 'software', change: 'install', version: '15.2', previousVersion: '15.1' },
        { name: 'pay-cache', type: 'software', change: 'install', version: '4.2.0', previousVersion: null },
      ]),
    });
    const outcome = (await historyOf(t, instanceId))
      .filter((h) => h.type === 'job.completed')
      .map((h) => h.data.outcome);
    expect(outcome[1]).toMatchObject({
      action: 'install',
      items: expect.arrayContaining([{ name: 'pay-api', from: '4.1.0', to: '4.2.0' }]),
      externalCmdb: { pushed: true, status: 'sent' },
    });
  });

  it('given the external CMDB is down for a while, when cmdb.sync retries, then the built-in CMDB changes once and the push arrives once', async () => {
    await installed(['ledger-api'], '1.0.0');
    http.failNext('/cmdb', 2);
    const release = await fileRelease(t, { configurationItems: ['ledger-api'] });
    const instanceId = await run(release.id, [INSTALL], { versionNumber: '1.1.0' });
    await waitForInstanceEnd(t, instanceId);
    expect(http.to('/cmdb').map((r) => r.status)).toEqual([503, 503, 200]);
    const rows = await t.dataSource.query(
      `SELECT v.change, v.previous_version, v.version FROM cmdb_item_version v JOIN cmdb_item i ON i.id = v.item_id
        WHERE i.name = 'ledger-api' ORDER BY v.id`,
    );
    expect(rows).toEqual([
      { change: 'install', previous_version: null, version: '1.0.0' },
      { change: 'install', previous_version: '1.0.0', version: '1.1.0' },
    ]);
  });

  it('given an installed release, when it is rolled back, then the hook gets the release, its items and their baselines, its answer is recorded, and the CMDB is back at the baseline', async () => {
    await installed(['crm-api', 'crm-db@9.0'], '2.0.0');
    const release = await fileRelease(t, {
      configurationItems: ['crm-api', 'crm-db@9.1'],
      rollbackPlan: 'restore crm 2.0.0',
    });
    const instanceId = await run(release.id, [BUILD, INSTALL, ROLLBACK], {
      versionNumber: '2.1.0',
      installResult: 'failure',
      failureReason: 'schema migration failed',
    });
    await waitForInstanceEnd(t, instanceId);

    const hook = http.to('/rollback');
    expect(hook).toHaveLength(1);
    expect(hook[0]!.headers.authorization).toBe('Bearer rollback-hook-token');
    expect(hook[0]!.body).toMatchObject({
      event: 'rollback',
      release: {
        id: release.id,
        number: release.number,
        version: '2.1.0',
        rollbackPlan: 'restore crm 2.0.0',
      },
      reason: { installResult: 'failure', failureReason: 'schema migration failed' },
      items: [
        { name: 'crm-api', type: 'software', baselineVersion: '2.0.0', currentVersion: '2.1.0' },
        { name: 'crm-db', type: 'software', baselineVersion: '9.0', currentVersion: '9.1' },
      ],
    });
    expect((await item('crm-api')).currentVersion).toBe('2.0.0');
    expect((await item('crm-db')).currentVersion).toBe('9.0');
    expect((await item('crm-db')).history.at(-1)).toMatchObject({
      change: 'rollback',
      previousVersion: '9.1',
      version: '9.0',
      release: { number: release.number },
    });
    const done = (await historyOf(t, instanceId)).filter((h) => h.type === 'job.completed').at(-1)!;
    expect(done.data.outcome).toMatchObject({
      hook: { called: true, status: 'sent', httpStatus: 200, response: { ok: true, received: '/rollback' } },
      restored: [
        { name: 'crm-api', baselineVersion: '2.0.0', from: '2.1.0', restored: true },
        { name: 'crm-db', baselineVersion: '9.0', from: '9.1', restored: true },
      ],
      externalCmdb: { pushed: true },
    });
    expect(http.to('/cmdb').at(-1)!.body).toMatchObject({
      action: 'rollback',
      items: [
        { name: 'crm-api', version: '2.0.0', previousVersion: '2.1.0' },
        { name: 'crm-db', version: '9.0', previousVersion: '9.1' },
      ],
    });
  });

  it('given the rollback hook fails every time, when retries run out, then an incident opens and the CMDB is not touched; once the hook is fixed and the incident retried, the rollback completes once', async () => {
    await installed(['hr-api'], '3.0.0');
    http.failAlways('/rollback');
    const release = await fileRelease(t, { configurationItems: ['hr-api'] });
    const instanceId = await run(release.id, [INSTALL, ROLLBACK], { versionNumber: '3.1.0' });
    const job = await waitForJob(t, instanceId, 'rollback-release', 'failed');
    expect(job.error).toMatch(/answered 500/);
    expect(http.to('/rollback')).toHaveLength(3);
    expect((await item('hr-api')).currentVersion).toBe('3.1.0');

    http.heal('/rollback');
    const incidents = (await t.as('admin').get('/api/incidents?state=open')).body.items as Array<{
      id: string;
      instanceId: string;
    }>;
    await t
      .as('admin')
      .post(`/api/incidents/${incidents.find((i) => i.instanceId === instanceId)!.id}/retry`)
      .expect(200);
    await waitForInstanceEnd(t, instanceId);
    expect(http.to('/rollback').map((r) => r.status)).toEqual([500, 500, 500, 200]);
    expect((await item('hr-api')).currentVersion).toBe('3.0.0');
    expect((await item('hr-api')).history.filter((h: any) => h.change === 'rollback')).toHaveLength(1);
  });

  it('given a rollback before anything was installed, when it runs, then the hook still gets the baseline and the CMDB has nothing to restore', async () => {
    await installed(['ops-api'], '5.0.0');
    const release = await fileRelease(t, { configurationItems: ['ops-api'] });
    const instanceId = await run(release.id, [BUILD, ROLLBACK], { versionNumber: '5.1.0' });
    await waitForInstanceEnd(t, instanceId);
    expect(http.to('/rollback')[0]!.body.items).toEqual([
      { name: 'ops-api', type: 'software', baselineVersion: '5.0.0', currentVersion: '5.0.0' },
    ]);
    const done = (await historyOf(t, instanceId)).filter((h) => h.type === 'job.completed').at(-1)!;
    expect(done.data.outcome.restored).toEqual([
      { name: 'ops-api', baselineVersion: '5.0.0', from: '5.0.0', restored: false },
    ]);
    expect(done.data.outcome.externalCmdb).toEqual({ pushed: false, note: 'no change to push' });
  });

  it('lists, searches and shows configuration items with their relations; only network engineers and administrators keep them', async () => {
    await installed(['web-frontend', 'web-backend'], '7.0.0');
    await t
      .as('network-engineer')
      .post('/api/cmdb/items')
      .send({
        name: 'web-frontend',
        type: 'software',
        owner: 'web team',
        attributes: { host: 'web01' },
        relations: [{ type: 'depends-on', target: 'web-backend' }],
      })
      .expect(200);
    await t.as('applicant').post('/api/cmdb/items').send({ name: 'x', type: 'software' }).expect(403);
    await t
      .as('admin')
      .post('/api/cmdb/items')
      .send({
        name: 'web-frontend',
        type: 'software',
        relations: [{ type: 'depends-on', target: 'nowhere' }],
      })
      .expect(400);

    const found = (await t.as('test-team').get('/api/cmdb/items').query({ q: 'web-' }).expect(200)).body;
    expect(found).toMatchObject({ total: 2, page: 1, pageSize: 50 });
    expect(found.items.map((i: any) => i.name)).toEqual(['web-backend', 'web-frontend']);
    expect(
      (await t.as('test-team').get('/api/cmdb/items').query({ q: 'web01' }).expect(200)).body.items,
    ).toHaveLength(1);
    expect(
      (await t.as('test-team').get('/api/cmdb/items').query({ type: 'hardware' }).expect(200)).body.total,
    ).toBe(0);

    const frontend = await item('web-frontend');
    expect(frontend).toMatchObject({
      owner: 'web team',
      attributes: { host: 'web01' },
      currentVersion: '7.0.0',
    });
    expect(frontend.relations).toEqual([
      {
        direction: 'outgoing',
        type: 'depends-on',
        itemId: expect.any(String),
        name: 'web-backend',
        itemType: 'software',
      },
    ]);
    const backend = (
      await t
        .as('applicant')
        .get(`/api/cmdb/items/${(await item('web-backend')).id}`)
        .expect(200)
    ).body;
    expect(backend.relations).toEqual([
      expect.objectContaining({ direction: 'incoming', name: 'web-frontend' }),
    ]);
    await t.as('applicant').get('/api/cmdb/items/no-such-item').expect(404);
    await t.http().get('/api/cmdb/items').expect(401);
  });
});
