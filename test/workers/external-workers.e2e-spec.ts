import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobCreatedListener } from '../../src/external-jobs/job-created-listener';
import { ReleaseDriver, type InstanceView } from '../support/release-driver';
import { ManualClock } from '../support/manual-clock';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';

interface ActivatedJob {
  key: string;
  type: string;
  worker: string;
  elementId: string;
  processInstanceKey: string;
  businessKey: string | null;
  retries: number;
  deadline: string;
  customHeaders: Record<string, string>;
  variables: Record<string, unknown>;
}

/**
 * Job workers outside the service (POST /api/jobs/activate and the reports on a job): the security scan's job
 * type has no handler in the service, so its jobs wait for an external worker, which leases them, and completes,
 * fails or throws a BPMN error. Workers sign in as a process designer (a machine account). Each scenario deploys
 * the scan under its own job type, so the jobs of one never reach another. The clock is moved by hand for leases
 * and back-offs; the long polls' re-check interval is a minute, so only the wake-up can end one early.
 */
describe('external job workers', () => {
  const clock = new ManualClock();
  const template = readFileSync(join(__dirname, 'fixtures', 'security-scan.bpmn'), 'utf8');
  let t: TestApp;
  let driver: ReleaseDriver;
  let scans = 0;

  beforeAll(async () => {
    t = await startTestApp(
      {
        // The shipped-flows deploy refuses types without a handler: the scan is deployed as a designer would.
        PROCESSES_DIR: join(__dirname, '..', 'instances', 'fixtures'),
        RUN_WORKERS: 'false',
        JOB_ACTIVATION_POLL_MS: '60000',
        JOB_ACTIVATION_MAX_WAIT_MS: '30000',
      },
      undefined,
      [{ jobType: 'test.built-in', handle: async () => ({}) }],
      { clock },
    );
    driver = ReleaseDriver.forApp(t);
  });
  afterAll(() => t.close());

  /** The scan process under a job type of its own; returns that type and a way to start it. */
  const deployScan = async (connector?: string) => {
    scans += 1;
    const processId = `security-scan-${scans}`;
    const type = connector ?? `ext.scan.${scans}`;
    const deployed = await driver.deploy(
      template
        .replace('id="security-scan"', `id="${processId}"`)
        .replace('type="ext.scan"', `type="${type}"`),
    );
    if (deployed.status !== 201)
      throw new Error(`deploy: ${deployed.status} ${JSON.stringify(deployed.body)}`);
    const warnings = (deployed.body.warnings ?? []) as Array<{ field: string; message: string }>;
    const start = async (variables: Record<string, unknown> = {}, businessKey?: string) => {
      const started = await driver.call(
        'POST',
        '/api/process-instances',
        { processId, variables, businessKey },
        'process-designer',
      );
      if (started.status !== 201) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
      return started.body as InstanceView;
    };
    return { type, start, warnings };
  };
  const activate = async (body: Record<string, unknown>, as = 'process-designer') => {
    const response = await driver.call(
      'POST',
      '/api/jobs/activate',
      { timeoutMs: 30_000, maxJobs: 5, ...body },
      as,
    );
    if (response.status !== 200)
      throw new Error(`activate: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.jobs as ActivatedJob[];
  };
  const report = (key: string, what: 'complete' | 'fail' | 'error', body: Record<string, unknown>) =>
    driver.call('POST', `/api/jobs/${key}/${what}`, body, 'process-designer');
  const view = (id: string) => driver.get<InstanceView>(`/api/process-instances/${id}`, 'admin');

  it('given a scan waiting for an external worker, when the worker activates it and completes it with a verdict, then the instance ends with the verdict', async () => {
    const scan = await deployScan();
    const instance = await scan.start({ artifact: 'billing-4.2.tgz', size: 1024 }, 'REL-2026-0042');

    const jobs = await activate({ type: scan.type, worker: 'scanner-1', fetchVariables: ['artifact'] });

    expect(jobs).toEqual([
      {
        key: expect.any(String),
        type: scan.type,
        worker: 'scanner-1',
        elementId: 'scan',
        processInstanceKey: instance.id,
        businessKey: 'REL-2026-0042',
        retries: 3,
        deadline: new Date(Date.parse(jobs[0]!.deadline)).toISOString(),
        customHeaders: { tool: 'trivy' },
        variables: { artifact: 'billing-4.2.tgz' },
      },
    ]);
    // Nothing in the service consumes the type: its job was never put on a queue.
    const [outbox] = await t.dataSource.query('SELECT count(*)::int AS n FROM outbox WHERE job_id = $1', [
      jobs[0]!.key,
    ]);
    expect(outbox.n).toBe(0);

    const completed = await report(jobs[0]!.key, 'complete', {
      worker: 'scanner-1',
      variables: { verdict: 'clean' },
    });

    expect(completed.status).toBe(204);
    const ended = await view(instance.id);
    expect(ended.status).toBe('completed');
    expect(ended.variables).toMatchObject({ artifact: 'billing-4.2.tgz', verdict: 'clean' });
    expect(ended.completedActivities).toContain('scanned');
    const again = await report(jobs[0]!.key, 'complete', { worker: 'scanner-1' });
    expect(again.status).toBe(409);
  });

  it("given a Camunda connector's job type, when the scan is deployed and run, then it waits for the connector runtime as for any external worker, on no queue", async () => {
    const scan = await deployScan('io.camunda:http-json:1');
    expect(scan.warnings).toEqual(
      expect.arrayContaining([
        {
          field: 'scan',
          message: expect.stringContaining(
            'no built-in handler carries out job type "io.camunda:http-json:1"',
          ),
        },
      ]),
    );
    const instance = await scan.start({ artifact: 'billing-4.3.tgz' });

    const [job] = await activate({ type: 'io.camunda:http-json:1', worker: 'connectors' });

    expect(job).toMatchObject({
      type: 'io.camunda:http-json:1',
      elementId: 'scan',
      processInstanceKey: instance.id,
    });
    const [outbox] = await t.dataSource.query('SELECT count(*)::int AS n FROM outbox WHERE job_id = $1', [
      job!.key,
    ]);
    expect(outbox.n).toBe(0);
    expect(
      (await report(job!.key, 'complete', { worker: 'connectors', variables: { status: 200 } })).status,
    ).toBe(204);
    const ended = await view(instance.id);
    expect(ended.status).toBe('completed');
    expect(ended.variables).toMatchObject({ status: 200 });
  });

  it('given one scan job, when two workers activate at the same moment, then exactly one of them gets it', async () => {
    const scan = await deployScan();
    await scan.start();

    const [first, second] = await Promise.all([
      activate({ type: scan.type, worker: 'scanner-a', maxJobs: 1 }),
      activate({ type: scan.type, worker: 'scanner-b', maxJobs: 1 }),
    ]);

    expect([...first!, ...second!]).toHaveLength(1);
  });

  it("given a job whose lease lapsed, when another worker activates it, then the first worker's late completion is refused and the second one's counts", async () => {
    const scan = await deployScan();
    const instance = await scan.start();
    const [job] = await activate({ type: scan.type, worker: 'slow-scanner', timeoutMs: 60_000 });
    expect(await activate({ type: scan.type, worker: 'fast-scanner' })).toEqual([]);

    await clock.advance(60_001, t.resources);
    const [taken] = await activate({ type: scan.type, worker: 'fast-scanner' });

    expect(taken!.key).toBe(job!.key);
    const late = await report(job!.key, 'complete', {
      worker: 'slow-scanner',
      variables: { verdict: 'late' },
    });
    expect(late.status).toBe(409);
    expect(late.body.message).toMatch(/fast-scanner/);
    expect(
      (await report(job!.key, 'complete', { worker: 'fast-scanner', variables: { verdict: 'clean' } }))
        .status,
    ).toBe(204);
    expect((await view(instance.id)).variables).toMatchObject({ verdict: 'clean' });
  });

  it('given a worker that fails a scan with retries left, when the back-off has not passed, then nobody gets it; once it has, it is activated again with those retries', async () => {
    const scan = await deployScan();
    const instance = await scan.start();
    const [job] = await activate({ type: scan.type, worker: 'scanner-1' });

    const failed = await report(job!.key, 'fail', {
      worker: 'scanner-1',
      retries: 2,
      errorMessage: 'registry unreachable',
      retryBackOffMs: 120_000,
    });

    expect(failed.status).toBe(200);
    expect(failed.body).toEqual({ retries: 2, incident: false });
    expect(await activate({ type: scan.type, worker: 'scanner-2' })).toEqual([]);
    await clock.advance(120_001, t.resources);
    const [again] = await activate({ type: scan.type, worker: 'scanner-2' });
    expect(again).toMatchObject({ key: job!.key, retries: 2 });
    const history = (await view(instance.id)).history.filter((h) => h.type === 'job.failed');
    expect(history).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({ attempt: 1, error: 'registry unreachable' }),
      }),
    ]);

    expect(
      (await driver.call('PATCH', `/api/jobs/${job!.key}`, { retries: 5 }, 'process-designer')).status,
    ).toBe(204);
    await clock.advance(30_001, t.resources);
    expect(await activate({ type: scan.type, worker: 'scanner-3' })).toEqual([
      expect.objectContaining({ key: job!.key, retries: 5 }),
    ]);
  });

  it('given a worker that fails a scan with no retries left, then an incident names the error, and its retry makes the job activatable again', async () => {
    const scan = await deployScan();
    const instance = await scan.start();
    const [job] = await activate({ type: scan.type, worker: 'scanner-1' });

    const failed = await report(job!.key, 'fail', { retries: 0, errorMessage: 'licence expired' });

    expect(failed.body).toEqual({ retries: 0, incident: true });
    const { incidents, status } = await view(instance.id);
    expect(status).toBe('running');
    expect(incidents).toEqual([
      expect.objectContaining({ status: 'open', error: 'licence expired', jobId: job!.key }),
    ]);
    expect(await activate({ type: scan.type, worker: 'scanner-1' })).toEqual([]);
    expect((await driver.call('POST', `/api/incidents/${incidents[0]!.id}/retry`, {}, 'admin')).status).toBe(
      200,
    );
    expect(await activate({ type: scan.type, worker: 'scanner-1' })).toEqual([
      expect.objectContaining({ key: job!.key, retries: 1 }),
    ]);
  });

  it('given a scan that finds a vulnerability, when the worker throws the error the boundary catches, then the instance ends blocked with the finding', async () => {
    const scan = await deployScan();
    const instance = await scan.start();
    const [job] = await activate({ type: scan.type, worker: 'scanner-1' });

    const thrown = await report(job!.key, 'error', {
      worker: 'scanner-1',
      errorCode: 'SCAN_REJECTED',
      errorMessage: 'CVE-2026-0001 in libxml',
      variables: { finding: 'CVE-2026-0001' },
    });

    expect(thrown.body).toEqual({ outcome: 'caught' });
    const ended = await view(instance.id);
    expect(ended.status).toBe('completed');
    expect(ended.completedActivities).toEqual(expect.arrayContaining(['rejected', 'blocked']));
    expect(ended.completedActivities).not.toContain('scanned');
    expect(ended.variables).toMatchObject({ finding: 'CVE-2026-0001' });
  });

  it('given a worker long polling an idle job type, when another request starts a scan, then the poll answers with its job at once', async () => {
    const scan = await deployScan();
    const listener = t.get<JobCreatedListener>(JobCreatedListener);
    const began = Date.now();
    const polled = activate({ type: scan.type, worker: 'scanner-1', requestTimeoutMs: 20_000 });
    await eventually(async () => listener.waiting(scan.type) > 0, { what: 'the activation to wait' });

    const instance = await scan.start({ artifact: 'erp-2026.iso' });

    const jobs = await polled;
    expect(jobs).toEqual([expect.objectContaining({ processInstanceKey: instance.id })]);
    // Well before the request's own timeout and the minute between re-checks: the new job woke it.
    expect(Date.now() - began).toBeLessThan(10_000);
  });

  it('given callers without the right, or with a bad request, then they are refused and told why', async () => {
    const scan = await deployScan();
    const valid = { type: scan.type, worker: 'scanner-1', timeoutMs: 1000, maxJobs: 1 };

    expect((await driver.call('POST', '/api/jobs/activate', valid, 'nobody')).status).toBe(401);
    expect((await driver.call('POST', '/api/jobs/activate', valid, 'applicant')).status).toBe(403);
    expect((await driver.call('POST', '/api/jobs/activate', valid, 'admin')).status).toBe(200);
    const unknownJob = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['POST', `/api/jobs/${unknownJob}/complete`],
      ['POST', `/api/jobs/${unknownJob}/fail`],
      ['POST', `/api/jobs/${unknownJob}/error`],
      ['PATCH', `/api/jobs/${unknownJob}`],
    ] as const) {
      expect(`${method} ${path}: ${(await driver.call(method, path, {}, 'nobody')).status}`).toBe(
        `${method} ${path}: 401`,
      );
      expect(`${method} ${path}: ${(await driver.call(method, path, {}, 'test-team')).status}`).toBe(
        `${method} ${path}: 403`,
      );
    }

    const fields = async (method: string, path: string, body: Record<string, unknown>) => {
      const response = await driver.call(method, path, body, 'process-designer');
      expect(response.status).toBe(400);
      return [...new Set((response.body.details as Array<{ field: string }>).map((d) => d.field))];
    };
    expect(await fields('POST', '/api/jobs/activate', { ...valid, worker: undefined })).toEqual(['worker']);
    expect(await fields('POST', '/api/jobs/activate', { ...valid, maxJobs: 0 })).toEqual(['maxJobs']);
    expect(await fields('POST', `/api/jobs/${unknownJob}/fail`, { errorMessage: 'x' })).toEqual(['retries']);
    expect(await fields('POST', `/api/jobs/${unknownJob}/error`, { errorMessage: 'x' })).toEqual([
      'errorCode',
    ]);
    expect(await fields('PATCH', `/api/jobs/${unknownJob}`, { retries: 0 })).toEqual(['retries']);
    expect((await report(unknownJob, 'complete', {})).status).toBe(404);
    const builtIn = await driver.call(
      'POST',
      '/api/jobs/activate',
      { ...valid, type: 'test.built-in' },
      'admin',
    );
    expect(builtIn.status).toBe(409);
  });
});
