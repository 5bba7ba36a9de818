import { Client } from 'pg';
import { spawnService, type ChildService } from '../support/child-service';
import { EMERGENCY_HAPPY_PATH, ReleaseDriver } from '../support/release-driver';
import { dropTestResources, eventually, newTestResources, type TestResources } from '../support/test-env';
import { seedUsersOverHttp } from '../support/users';

/**
 * Real child processes of the built service, killed with SIGKILL at the worst moments. Nothing may be lost,
 * every instance ends exactly once, and no job's effect is recorded twice.
 */
describe('crash recovery', () => {
  // Each scenario starts two or three children one after another, and a start may take long under load.
  jest.setTimeout(180_000);
  let resources: TestResources;
  let db: Client;
  const children: ChildService[] = [];

  beforeEach(async () => {
    resources = newTestResources();
  });
  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
    await db?.end().catch(() => undefined);
    await dropTestResources(resources);
  });

  const start = async (options: Parameters<typeof spawnService>[1]) => {
    const child = await spawnService(resources, options);
    children.push(child);
    return child;
  };
  const connectDb = async () => {
    db = new Client({ connectionString: resources.databaseUrl });
    await db.connect();
  };
  const scalar = async (sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows[0];

  const assertEndedExactlyOnce = async (releaseIds: string[]) => {
    for (const releaseId of releaseIds) {
      const { instance_id } = await scalar('SELECT instance_id FROM release WHERE id = $1', [releaseId]);
      const { n } = await scalar(
        `SELECT count(*)::int AS n FROM history_event WHERE instance_id = $1 AND type = 'instance.completed'`,
        [instance_id],
      );
      expect(n).toBe(1);
    }
    const duplicates = await db.query(
      `SELECT j.instance_id, j.element_id, j.execution_id, count(*) FROM job_effect e JOIN job j ON j.id = e.job_id
        GROUP BY 1, 2, 3 HAVING count(*) > 1`,
    );
    expect(duplicates.rows).toEqual([]);
    const pending = await scalar(`SELECT count(*)::int AS n FROM job WHERE status = 'pending'`);
    expect(pending.n).toBe(0);
  };

  /** A process armed with `fault` files an emergency release and is killed by the fault; the database is open after. */
  const fileEmergencyAndDie = async (fault: string) => {
    const doomed = await start({ env: { FAULT_INJECTION: fault } });
    const tokens = await seedUsersOverHttp(doomed.url);
    const filing = fetch(`${doomed.url}/api/releases`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.applicant}` },
      body: JSON.stringify({ class: 'emergency', request: { title: 'Hotfix login', source: 'software' } }),
    }).catch((err: unknown) => err);
    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await filing;
    await connectDb();
    const { id: releaseId } = (await scalar('SELECT id FROM release')) as { id: string };
    return { tokens, releaseId };
  };

  it('given the API dies after committing a new release and before relaying its job, when it restarts, the job runs and the release ends', async () => {
    const { tokens, releaseId } = await fileEmergencyAndDie('after-commit');
    const stranded = await scalar('SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL');
    expect(stranded.n).toBe(1);

    const revived = await start({});
    const driver = new ReleaseDriver(revived.url, tokens);
    await eventually(async () => (await scalar('SELECT count(*)::int AS n FROM job_effect')).n === 1, {
      what: 'the stranded notify job to run',
    });
    expect(await driver.runToEnd(releaseId, EMERGENCY_HAPPY_PATH)).toBe('closed');
    await assertEndedExactlyOnce([releaseId]);
  });

  it('given a worker dies in the middle of its jobs, when another worker takes over, each job takes effect once and every release ends', async () => {
    const [api, doomedWorker] = await Promise.all([
      start({ env: { RUN_WORKERS: 'false' } }),
      start({ entry: 'worker', env: { FAULT_INJECTION: 'in-job:notify' } }),
    ]);
    const driver = new ReleaseDriver(api.url, await seedUsersOverHttp(api.url));
    const releases = await Promise.all(
      [1, 2, 3].map((n) => driver.file('emergency', { title: `Hotfix ${n}` })),
    );

    expect(await doomedWorker.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await connectDb();
    // The handler's effect is in, the instance has not moved on: the job is in the middle.
    expect((await scalar('SELECT count(*)::int AS n FROM job_effect')).n).toBeGreaterThanOrEqual(1);
    expect((await scalar(`SELECT count(*)::int AS n FROM job WHERE status = 'completed'`)).n).toBe(0);

    await start({ entry: 'worker' });
    const statuses = await Promise.all(releases.map((r) => driver.runToEnd(r.id, EMERGENCY_HAPPY_PATH)));
    expect(statuses).toEqual(['closed', 'closed', 'closed']);
    await assertEndedExactlyOnce(releases.map((r) => r.id));
    const notifies = await scalar(`SELECT count(*)::int AS n FROM job_effect WHERE job_type = 'notify'`);
    const notifyJobs = await scalar(`SELECT count(*)::int AS n FROM job WHERE job_type = 'notify'`);
    expect(notifies.n).toBe(notifyJobs.n);
  });

  it('given a process dies in the middle of a job its own workers took straight after the commit, when another process starts, the job takes effect once after the claim lapses and the release ends', async () => {
    const { tokens, releaseId } = await fileEmergencyAndDie('in-job:notify');
    // Run in the process that wrote it, never put on a queue: its message is still claimed by the dead process.
    const held = await scalar(
      `SELECT count(*)::int AS n FROM outbox WHERE relayed_at IS NULL AND claimed_at IS NOT NULL`,
    );
    expect(held.n).toBe(1);
    expect((await scalar('SELECT count(*)::int AS n FROM job_effect')).n).toBe(1);

    const revived = await start({});
    const driver = new ReleaseDriver(revived.url, tokens);
    expect(await driver.runToEnd(releaseId, EMERGENCY_HAPPY_PATH)).toBe('closed');
    await assertEndedExactlyOnce([releaseId]);
  });

  it('given an API process holding live engines mid-flow, when it is killed and another process goes on, every release ends once', async () => {
    const metricsToken = 'metrics-token-for-the-crash-test';
    const doomed = await start({ env: { METRICS_TOKEN: metricsToken } });
    const tokens = await seedUsersOverHttp(doomed.url);
    const driver = new ReleaseDriver(doomed.url, tokens);
    const releases = await Promise.all([1, 2].map((n) => driver.file('emergency', { title: `Hotfix ${n}` })));
    for (const release of releases)
      await driver.step(release.id, 'approve-emergency', { approvalDecision: 'approve' });
    const metrics = await (
      await fetch(`${doomed.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })
    ).text();
    // The steps went through the live engines this process kept: they die with it.
    expect(Number(/release_flow_engine_cache\{figure="hits"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);

    await doomed.kill('SIGKILL');
    const revived = await start({});
    const statuses = await Promise.all(
      releases.map((r) => new ReleaseDriver(revived.url, tokens).runToEnd(r.id, EMERGENCY_HAPPY_PATH)),
    );

    expect(statuses).toEqual(['closed', 'closed']);
    await connectDb();
    await assertEndedExactlyOnce(releases.map((r) => r.id));
  });

  it('given two API processes, when both complete the same task at once, exactly one succeeds and the other gets 409', async () => {
    const [first, second] = await Promise.all([start({}), start({ env: { RUN_WORKERS: 'false' } })]);
    const tokens = await seedUsersOverHttp(first.url);
    const release = await new ReleaseDriver(first.url, tokens).file('standard');
    const task = await new ReleaseDriver(first.url, tokens).openTask(release.id, 'assess-request');
    await connectDb();
    const before = await scalar('SELECT revision FROM process_instance WHERE id = $1', [release.instanceId]);

    const results = await Promise.all(
      [first, second].map((service) =>
        new ReleaseDriver(service.url, tokens).complete(task, {
          assessmentDecision: service === first ? 'approve' : 'reject',
        }),
      ),
    );

    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = results.find((r) => r.status === 200)!;
    const after = await scalar('SELECT revision, variables FROM process_instance WHERE id = $1', [
      release.instanceId,
    ]);
    expect(after.revision).toBe(before.revision + 1);
    expect(after.variables.assessmentDecision).toBe(winner.body.output.assessmentDecision);
    const completions = await scalar(
      `SELECT count(*)::int AS n FROM history_event WHERE instance_id = $1 AND type = 'task.completed'`,
      [release.instanceId],
    );
    expect(completions.n).toBe(1);
    expect(results.find((r) => r.status === 409)!.body.message).toMatch(/already completed/);
  });
});
