import { Client } from 'pg';
import { spawnService, type ChildService } from '../support/child-service';
import { EMERGENCY_HAPPY_PATH, ReleaseDriver } from '../support/release-driver';
import { TestRedisServer } from '../support/redis-server';
import { dropTestResources, eventually, newTestResources, type TestResources } from '../support/test-env';
import { seedUsersOverHttp } from '../support/users';

/** Lines of a child's output that are not one JSON object each: bare stack traces, console prints. */
function nonJsonLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
}

/**
 * Redis (the test's own redis-server) goes away under an API and a worker process and comes back. Both keep
 * running, say so in their JSON log a few times rather than printing stack traces, and carry on once it is back.
 */
describe('Redis going away and coming back', () => {
  jest.setTimeout(120_000);
  let resources: TestResources;
  let redis: TestRedisServer;
  let db: Client | undefined;
  const children: ChildService[] = [];

  beforeAll(async () => {
    resources = newTestResources();
    redis = await TestRedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
    await db?.end().catch(() => undefined);
    await redis.stop();
    await dropTestResources(resources);
  });

  const start = async (entry: 'main' | 'worker', env: Record<string, string> = {}) => {
    const child = await spawnService(resources, { entry, env: { REDIS_URL: redis.url, ...env } });
    children.push(child);
    return child;
  };
  const redisReady = async (service: ChildService) => {
    const response = await fetch(`${service.url}/health/ready`);
    return response.ok;
  };

  it('given an API and a worker, when Redis is killed for a while and restarted, then neither prints anything but JSON, both keep running, and a release filed during the outage goes through', async () => {
    const api = await start('main', { RUN_WORKERS: 'false' });
    const worker = await start('worker');
    const driver = new ReleaseDriver(api.url, await seedUsersOverHttp(api.url));

    await redis.kill();
    await eventually(async () => !(await redisReady(api)), { what: 'the API to report Redis down' });
    // PostgreSQL is the source of truth: filing works without Redis; its job is relayed once Redis is back.
    const release = await driver.file('emergency', { title: 'Filed while Redis was down' });
    await eventually(async () => [api, worker].every((c) => c.output().includes('ECONNREFUSED')), {
      timeoutMs: 20_000,
      what: 'both processes to log that Redis refuses connections',
    });
    // Long enough for every client to fail its reconnect several times over.
    await new Promise((resolve) => setTimeout(resolve, 5000));

    await redis.restart();
    await eventually(async () => redisReady(api), { timeoutMs: 30_000, what: 'the API to see Redis again' });
    expect(await driver.runToEnd(release.id, EMERGENCY_HAPPY_PATH)).toBe('closed');

    db = new Client({ connectionString: resources.databaseUrl });
    await db.connect();
    expect((await db.query('SELECT id FROM incident')).rows).toEqual([]);
    for (const child of [api, worker]) {
      expect(child.child.exitCode).toBeNull();
      expect(nonJsonLines(child.output())).toEqual([]);
      // Throttled: a handful of lines about the outage, not one per reconnect of every client.
      const refusals = child
        .output()
        .split('\n')
        .filter((line) => line.includes('ECONNREFUSED'));
      expect(refusals.length).toBeGreaterThanOrEqual(1);
      expect(refusals.length).toBeLessThanOrEqual(3);
      expect(child.output()).toContain('connection to Redis is back');
    }
  });
});
