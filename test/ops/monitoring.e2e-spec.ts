import { join } from 'node:path';
import { DefinitionService } from '../../src/definitions/definition.service';
import { InstanceService } from '../../src/instances/instance.service';
import type { JobHandler } from '../../src/queue/job-handler.port';
import { TestRedisServer } from '../support/redis-server';
import { EMERGENCY_HAPPY_PATH, ReleaseDriver } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { TEST_ADMIN_PASSWORD, TEST_USER_PASSWORD } from '../support/users';

const METRICS_TOKEN = 'metrics-token-for-the-tests';

/** Prometheus text format: `name{labels} value` lines into a lookup. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)$/.exec(line);
    if (match) samples.set(`${match[1]}${match[2] ?? ''}`, Number(match[3]));
  }
  return samples;
}

class BrokenPeerHandler implements JobHandler {
  readonly jobType = 'test.broken';
  async handle(): Promise<never> {
    throw new Error('the peer refused the call');
  }
}

describe('operations: metrics, queues, incidents, bull-board', () => {
  let t: TestApp;
  let driver: ReleaseDriver;

  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN }, undefined, [new BrokenPeerHandler()]);
    await t.app.listen(0, '127.0.0.1');
    driver = new ReleaseDriver(await t.app.getUrl(), t.tokens);
  });
  afterAll(() => t.close());

  it('given a release that ran, the metrics show instances, tasks, jobs, queues, outbox lag and the process', async () => {
    const closed = await driver.file('emergency');
    expect(await driver.runToEnd(closed.id, EMERGENCY_HAPPY_PATH)).toBe('closed');
    const waiting = await driver.file('standard');
    await driver.openTask(waiting.id, 'assess-request');

    const response = await t
      .http()
      .get('/metrics')
      .set('Authorization', `Bearer ${METRICS_TOKEN}`)
      .expect(200);
    expect(response.headers['content-type']).toMatch(/text\/plain/);
    const metrics = parseMetrics(response.text);
    expect(
      metrics.get(
        'release_flow_process_instances{process="emergency-release",class="emergency",status="closed"}',
      ),
    ).toBe(1);
    expect(
      metrics.get(
        'release_flow_process_instances{process="standard-release",class="standard",status="running"}',
      ),
    ).toBe(1);
    expect(metrics.get('release_flow_open_tasks{candidate_group="project-manager"}')).toBe(1);
    expect(
      metrics.get('release_flow_job_duration_seconds_count{job_type="notify",outcome="completed"}'),
    ).toBeGreaterThanOrEqual(3);
    expect(metrics.get('release_flow_task_waiting_seconds_count{form_key="emergency-approval"}')).toBe(1);
    expect(metrics.get('release_flow_queue_jobs{queue="notify",state="completed"}')).toBeGreaterThanOrEqual(
      3,
    );
    expect(metrics.get('release_flow_outbox_lag_seconds')).toBe(0);
    expect(metrics.has('release_flow_nodejs_eventloop_lag_seconds')).toBe(true);
    expect(metrics.get('release_flow_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('keeps the metrics to the scrape token and administrators', async () => {
    await t.http().get('/metrics').expect(401);
    await t.http().get('/metrics').set('Authorization', 'Bearer wrong-token-wrong-token').expect(401);
    await t.as('project-manager').get('/metrics').expect(401);
    await t.as('admin').get('/metrics').expect(200);
  });

  it('given a job whose retries run out, operators see it failed with its reason, and can resolve the incident by hand', async () => {
    const instances = t.get<InstanceService>(InstanceService);
    await t.get<DefinitionService>(DefinitionService).deployDirectory(join(__dirname, 'fixtures'));
    const instance = await instances.start('broken-peer', {});
    const incident = await eventually(
      async () =>
        (await t.as('admin').get('/api/incidents?state=open')).body.items.find(
          (i: { instanceId: string }) => i.instanceId === instance.id,
        ),
      { what: 'the incident' },
    );

    const queues = await t.as('admin').get('/api/queues').expect(200);
    const broken = queues.body.find((q: { name: string }) => q.name === 'test.broken');
    expect(broken.counts.failed).toBe(1);
    expect(broken.failed[0]).toMatchObject({ reason: 'the peer refused the call', attemptsMade: 3 });
    expect(queues.body.map((q: { name: string }) => q.name)).toEqual(
      expect.arrayContaining(['notify', 'timer']),
    );
    await t.as('project-manager').get('/api/queues').expect(403);

    await t
      .as('project-manager')
      .post(`/api/incidents/${incident.id}/resolve`)
      .send({ comment: 'pushed by hand' })
      .expect(403);
    await t.as('admin').post(`/api/incidents/${incident.id}/resolve`).send({}).expect(400);
    const resolved = await t
      .as('admin')
      .post(`/api/incidents/${incident.id}/resolve`)
      .send({ comment: 'pushed by hand' })
      .expect(200);
    expect(resolved.body).toMatchObject({
      status: 'resolved',
      comment: 'pushed by hand',
      resolvedBy: 'admin',
    });
    const view = await t.as('admin').get(`/api/process-instances/${instance.id}`).expect(200);
    expect(view.body.status).toBe('completed');
    expect(view.body.history.map((h: { type: string }) => h.type)).toContain('incident.resolved');

    // The failed queue job can be retried (a no-op now: its job row is done) and removed.
    const failedId = broken.failed[0].id;
    await t.as('admin').post(`/api/queues/test.broken/jobs/${failedId}/retry`).expect(200);
    await eventually(
      async () =>
        (await t.as('admin').get('/api/queues')).body.find((q: { name: string }) => q.name === 'test.broken')
          .counts.failed === 0,
      {
        what: 'the retried job to leave the failed set',
      },
    );
    await t.as('admin').post('/api/queues/no-such-queue/jobs/1/retry').expect(404);
  });

  it('given several open incidents, the incidents list pages them newest first with their total, and keeps the state filter', async () => {
    type Incident = { id: string; instanceId: string; status: string; createdAt: string };
    type IncidentPage = { items: Incident[]; total: number; page: number; pageSize: number };
    const instances = t.get<InstanceService>(InstanceService);
    await t.get<DefinitionService>(DefinitionService).deployDirectory(join(__dirname, 'fixtures'));
    const started = [await instances.start('broken-peer', {}), await instances.start('broken-peer', {})];
    const list = async (query: string): Promise<IncidentPage> =>
      (await t.as('project-manager').get(`/api/incidents?${query}`).expect(200)).body as IncidentPage;

    const open = await eventually(
      async () => {
        const page = await list('state=open');
        return started.every((s) => page.items.some((i) => i.instanceId === s.id)) && page;
      },
      { what: 'both incidents' },
    );
    expect(open).toMatchObject({ page: 1, pageSize: 50, total: open.items.length });
    expect(open.items.every((i) => i.status === 'open')).toBe(true);
    const times = open.items.map((i) => Date.parse(i.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    const first = await list('state=open&pageSize=1');
    const second = await list('state=open&pageSize=1&page=2');
    expect(first).toEqual({ items: [open.items[0]], total: open.total, page: 1, pageSize: 1 });
    expect(second).toEqual({ items: [open.items[1]], total: open.total, page: 2, pageSize: 1 });

    const resolved = await list('state=resolved');
    expect(resolved.items.every((i) => i.status === 'resolved')).toBe(true);
    expect(resolved.items.some((i) => started.some((s) => s.id === i.instanceId))).toBe(false);
    expect((await list('')).total).toBe(open.total + resolved.total);
  });

  it('shows bull-board to administrators only', async () => {
    const basic = (user: string, password: string) =>
      `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    const anonymous = await t.http().get('/admin/queues').expect(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Basic/);
    await t
      .http()
      .get('/admin/queues')
      .set('Authorization', basic('project-manager', TEST_USER_PASSWORD))
      .expect(401);
    await t.http().get('/admin/queues').set('Authorization', basic('admin', 'wrong password')).expect(401);
    const page = await t
      .http()
      .get('/admin/queues')
      .set('Authorization', basic('admin', TEST_ADMIN_PASSWORD))
      .expect(200);
    expect(page.text).toContain('<html');
    const api = await t.as('admin').get('/admin/queues/api/queues').expect(200);
    expect(JSON.stringify(api.body)).toContain('notify');
  });
});

describe('readiness follows Redis', () => {
  let t: TestApp;
  let redis: TestRedisServer;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    t = await startTestApp({ REDIS_URL: redis.url });
  });
  afterAll(async () => {
    redis?.resume();
    await t?.close();
    await redis?.stop();
  });

  it('is ready with PostgreSQL, Redis and the migrations; not ready while Redis does not answer; ready again when it does', async () => {
    const ready = await t.http().get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, migrations: { status: 'up' }, redis: { status: 'up' } },
    });
    await t.http().get('/health/live').expect(200);

    // Redis stops answering (a hung or unreachable server); a killed one would do the same to readiness.
    redis.pause();
    const down = await eventually(
      async () => {
        const response = await t.http().get('/health/ready');
        return response.status === 503 ? response : undefined;
      },
      { what: 'readiness to fail' },
    );
    expect(down.body).toMatchObject({
      statusCode: 503,
      // which dependency, and why
      message: expect.stringMatching(/^not ready: redis is down \(.+\)$/),
      details: { redis: { status: 'down' } },
    });
    await t.http().get('/health/live').expect(200);

    redis.resume();
    await eventually(async () => (await t.http().get('/health/ready')).status === 200, {
      what: 'readiness to recover',
    });
  });
});
