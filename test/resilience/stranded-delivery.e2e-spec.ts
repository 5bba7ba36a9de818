import { Client } from 'pg';
import { spawnService, type ChildService } from '../support/child-service';
import { ReleaseDriver } from '../support/release-driver';
import { dropTestResources, eventually, newTestResources, type TestResources } from '../support/test-env';
import { seedUsersOverHttp } from '../support/users';
import { TestHttpPeer, TestSmtpServer } from '../workers/support/peers';
import { peerEnv, removeDir, tempDir } from '../workers/support/worker-world';

/**
 * Regression: a worker SIGKILLed after a peer accepted a delivery and before the ledger recorded it left the
 * claim `sending`. The worker that took the job over failed "being sent by another worker" until its retries
 * ran out, and the release waited at an incident. Now it waits for the claim to lapse and finishes the job.
 */
describe('a delivery claimed by a worker that was killed', () => {
  let resources: TestResources;
  let db: Client;
  let smtp: TestSmtpServer;
  let http: TestHttpPeer;
  let pslDir: string;
  const children: ChildService[] = [];

  jest.setTimeout(120_000);

  beforeAll(async () => {
    resources = newTestResources();
    [smtp, http, pslDir] = await Promise.all([
      new TestSmtpServer().start(),
      new TestHttpPeer().start(),
      tempDir('stranded-delivery'),
    ]);
  });
  afterAll(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
    await db?.end().catch(() => undefined);
    await Promise.all([smtp.stop(), http.stop(), removeDir(pslDir)]);
    await dropTestResources(resources);
  });

  // A claim lapses 3 × OUTBOUND_TIMEOUT_MS after it was taken: 12 s here, well after the next worker has
  // started and found the job's lock expired; the job's retries (20 ms backoff) would be spent long before.
  const start = async (options: { entry?: 'main' | 'worker'; env?: Record<string, string> }) => {
    const child = await spawnService(resources, {
      ...options,
      env: { ...peerEnv(smtp, http, pslDir), OUTBOUND_TIMEOUT_MS: '4000', ...options.env },
    });
    children.push(child);
    return child;
  };
  const rows = async (sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows;

  it('given a worker killed between the peer accepting a webhook and our record of it, when another worker takes the job over, then the job completes without an incident and the delivery is recorded once', async () => {
    const api = await start({ env: { RUN_WORKERS: 'false' } });
    const doomed = await start({
      entry: 'worker',
      env: { FAULT_INJECTION: 'after-delivery:webhook:generic' },
    });
    const driver = new ReleaseDriver(api.url, await seedUsersOverHttp(api.url));
    const release = await driver.file('emergency', { title: 'Hotfix certificate' });

    expect(await doomed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    db = new Client({ connectionString: resources.databaseUrl });
    await db.connect();
    const [stranded] = await rows(
      `SELECT job_id, status FROM outbound_delivery WHERE channel = 'webhook:generic'`,
    );
    expect(stranded.status).toBe('sending');
    expect(http.to('/generic')).toHaveLength(1);

    await start({ entry: 'worker' });
    await eventually(
      async () =>
        (await rows(`SELECT status FROM job WHERE id = $1`, [stranded.job_id]))[0].status === 'completed',
      { timeoutMs: 30_000, what: 'the taken-over notify job to complete' },
    );

    // It waited for the claim (or found it lapsed, on a loaded machine) rather than failing: no incident, no
    // failed attempt.
    expect(await rows('SELECT id FROM incident')).toEqual([]);
    expect(
      await rows(`SELECT type FROM history_event WHERE instance_id = $1 AND type = 'job.failed'`, [
        release.instanceId,
      ]),
    ).toEqual([]);
    // At least once to the peer, with the job id to drop the repeat by; once on our side.
    const posts = http.to('/generic');
    expect(posts.length).toBeGreaterThanOrEqual(1);
    expect(new Set(posts.map((p) => p.headers['x-idempotency-key']))).toEqual(new Set([stranded.job_id]));
    expect(
      await rows(`SELECT status FROM outbound_delivery WHERE job_id = $1 AND channel = 'webhook:generic'`, [
        stranded.job_id,
      ]),
    ).toEqual([{ status: 'sent' }]);
    expect(await rows('SELECT job_id FROM job_effect WHERE job_id = $1', [stranded.job_id])).toHaveLength(1);
    expect(await rows(`SELECT id FROM outbound_delivery WHERE status <> 'sent'`)).toEqual([]);
    expect((await driver.openTask(release.id, 'approve-emergency')).elementId).toBe('approve-emergency');
  });
});
