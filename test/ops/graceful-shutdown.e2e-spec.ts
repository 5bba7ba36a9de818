import { Client } from 'pg';
import { Queue } from 'bullmq';
import { spawnService, type ChildService } from '../support/child-service';
import { EMERGENCY_HAPPY_PATH, ReleaseDriver } from '../support/release-driver';
import { dropTestResources, eventually, newTestResources, REDIS_URL } from '../support/test-env';
import { seedUsersOverHttp } from '../support/users';

/** A real child process of the built service, sent SIGTERM while a job is running. */
describe('graceful shutdown and structured logs', () => {
  // Two children in turn, and a start may take long under load.
  jest.setTimeout(180_000);
  const resources = newTestResources();
  const children: ChildService[] = [];
  let db: Client;

  afterAll(async () => {
    await Promise.all(children.map((c) => c.kill()));
    await db?.end();
    await dropTestResources(resources);
  });

  it('given a job in flight, when the process gets SIGTERM, it finishes the job, exits cleanly, and the release ends after a restart', async () => {
    const first = await spawnService(resources, {
      env: { FAULT_INJECTION: 'slow-job:notify', LOG_LEVEL: 'info' },
    });
    children.push(first);
    const tokens = await seedUsersOverHttp(first.url);
    const driver = new ReleaseDriver(first.url, tokens);

    // Structured request logs carry the request id and the user.
    const listed = await fetch(`${first.url}/api/releases`, {
      headers: { authorization: `Bearer ${tokens['project-manager']}`, 'x-request-id': 'trace-me-42' },
    });
    expect(listed.headers.get('x-request-id')).toBe('trace-me-42');

    const release = await driver.file('emergency');
    db = new Client({ connectionString: resources.databaseUrl });
    await db.connect();
    // The notify job has done its work and is held in flight by the slow-job fault: its effect is recorded,
    // its result not yet fed back to the instance.
    const inFlight = `SELECT j.status, j.completed_at FROM job j JOIN job_effect e ON e.job_id = j.id
                        WHERE j.element_id = 'notify-approval-needed'`;
    await eventually(async () => (await db.query(inFlight)).rows[0]?.status === 'pending', {
      intervalMs: 20,
      what: 'the job to be in flight',
    });
    const signalledAt = new Date();
    first.child.kill('SIGTERM');
    const exit = await first.exited;

    // Nest re-raises the signal once it has closed everything, so the exit names it.
    expect([exit.code === 0, exit.signal === 'SIGTERM']).toContain(true);
    // The job was running at the signal, and this process finished it after the signal.
    expect(first.output()).toContain('workers stopped: every job in flight finished (1 at the signal)');
    const job = (await db.query(inFlight)).rows[0];
    expect(job.status).toBe('completed');
    expect(new Date(job.completed_at).getTime()).toBeGreaterThanOrEqual(signalledAt.getTime() - 50);
    // Its own workers took it straight after the commit: its outbox message is done with, nothing is queued.
    const [message] = (
      await db.query(`SELECT o.relayed_at IS NOT NULL AS done, o.claimed_at IS NULL AS unclaimed
                        FROM outbox o JOIN job j ON j.id = o.job_id WHERE j.element_id = 'notify-approval-needed'`)
    ).rows;
    expect(message).toEqual({ done: true, unclaimed: true });
    const queue = new Queue('notify', { connection: { url: REDIS_URL }, prefix: resources.queuePrefix });
    try {
      const counts = await queue.getJobCounts('active', 'wait', 'delayed', 'failed');
      expect(counts).toMatchObject({ active: 0, wait: 0, delayed: 0, failed: 0 });
    } finally {
      await queue.close();
    }

    const lines = first
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, any>);
    const request = lines.find((line) => line.req?.id === 'trace-me-42');
    expect(request).toMatchObject({
      user: 'project-manager',
      req: { method: 'GET', url: '/api/releases' },
      res: { statusCode: 200 },
    });
    expect(JSON.stringify(lines)).not.toContain(tokens['project-manager']);

    const second = await spawnService(resources, {});
    children.push(second);
    expect(await new ReleaseDriver(second.url, tokens).runToEnd(release.id, EMERGENCY_HAPPY_PATH)).toBe(
      'closed',
    );
    const effects = (
      await db.query(`SELECT count(*)::int AS n FROM job_effect e JOIN job j ON j.id = e.job_id
                                      WHERE j.element_id = 'notify-approval-needed'`)
    ).rows[0];
    expect(effects.n).toBe(1);
  });
});
