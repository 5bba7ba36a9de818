import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnService, type ChildService } from '../support/child-service';
import { dropTestResources, eventually, newTestResources, type TestResources } from '../support/test-env';
import { seedUsersOverHttp, type Tokens } from '../support/users';

/**
 * External job workers against two API processes of the built service on one database: a long poll waits in one
 * process, the job is created by another, and only PostgreSQL's notification can carry the news across. The polls
 * re-check the database once a minute and give up after 20 s, so a poll that answers with the job was woken.
 */
describe('external job workers across API processes', () => {
  jest.setTimeout(180_000);
  const scan = readFileSync(join(__dirname, '..', 'workers', 'fixtures', 'security-scan.bpmn'), 'utf8')
    .replace('id="security-scan"', 'id="security-scan-remote"')
    .replace('type="ext.scan"', 'type="ext.scan.remote"');
  const env = {
    PROCESSES_DIR: join(__dirname, '..', 'instances', 'fixtures'),
    JOB_ACTIVATION_POLL_MS: '60000',
    JOB_ACTIVATION_MAX_WAIT_MS: '30000',
  };
  let resources: TestResources;
  const children: ChildService[] = [];

  beforeAll(() => {
    resources = newTestResources();
  });
  afterAll(async () => {
    await Promise.all(children.splice(0).map((child) => child.kill()));
    await dropTestResources(resources);
  });

  const start = async () => {
    const child = await spawnService(resources, { env });
    children.push(child);
    return child;
  };
  const call = async (
    child: ChildService,
    method: string,
    path: string,
    token: string,
    body?: string | Record<string, unknown>,
  ) => {
    const response = await fetch(`${child.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': typeof body === 'string' ? 'application/xml' : 'application/json',
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      text,
      body: (text.startsWith('{') ? JSON.parse(text) : undefined) as unknown,
    };
  };
  const waitingOn = async (child: ChildService, tokens: Tokens) => {
    const metrics = await call(child, 'GET', '/metrics', tokens.admin!);
    return Number(/^release_flow_job_activations_waiting (\d+)/m.exec(metrics.text)?.[1] ?? 0);
  };

  it('given a worker long polling one API process, when another process starts a scan, then the poll answers with its job', async () => {
    // Given two API processes on one database, and the scan deployed as a designer would.
    const first = await start();
    const tokens = await seedUsersOverHttp(first.url);
    const second = await start();
    const designer = tokens['process-designer']!;
    expect((await call(first, 'POST', '/api/process-definitions', designer, scan)).status).toBe(201);

    // And a worker long polling the first process for scans, until that process says it waits.
    const polled = call(first, 'POST', '/api/jobs/activate', designer, {
      type: 'ext.scan.remote',
      worker: 'scanner-1',
      timeoutMs: 30_000,
      maxJobs: 5,
      requestTimeoutMs: 20_000,
    });
    await eventually(async () => (await waitingOn(first, tokens)) > 0, {
      what: 'the activation on the first process to wait',
    });

    // When a scan is started through the second process...
    const startedAt = Date.now();
    const started = await call(second, 'POST', '/api/process-instances', designer, {
      processId: 'security-scan-remote',
      variables: { artifact: 'erp-2026.iso' },
    });
    expect(started.status).toBe(201);

    // ...then the first process's poll answers with its job, not empty at its timeout.
    const activated = await polled;
    // Well before the poll's own 20 s: the job's creation woke it (a last look at its timeout would be late).
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(activated.status).toBe(200);
    const { id } = started.body as { id: string };
    expect((activated.body as { jobs: unknown[] }).jobs).toEqual([
      expect.objectContaining({ processInstanceKey: id, type: 'ext.scan.remote', worker: 'scanner-1' }),
    ]);
    expect(await waitingOn(first, tokens)).toBe(0);
  });
});
