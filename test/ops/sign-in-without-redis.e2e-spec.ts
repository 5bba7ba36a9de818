import { Redis } from 'ioredis';
import { TestRedisServer } from '../support/redis-server';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { TEST_USER_PASSWORD } from '../support/users';

/**
 * Redis down: sign-in keeps working and stays throttled, from this process's memory (the choice made in
 * SignInThrottle: the credentials live in PostgreSQL, Redis only shares the counts). Never a 500, never a hang.
 * Runs on a redis-server of its own, which the test kills; the machine's Redis is left alone.
 */
describe('sign-in while Redis is down', () => {
  let t: TestApp;
  let redis: TestRedisServer;

  beforeAll(async () => {
    redis = await TestRedisServer.start();
    t = await startTestApp({
      REDIS_URL: redis.url,
      RUN_WORKERS: 'false',
      LOGIN_MAX_ATTEMPTS: '2',
      LOGIN_LOCKOUT_SECONDS: '60',
    });
  });
  afterAll(async () => {
    // Closed while its Redis is gone, ioredis arms a 2 s timer on the dead socket, and Jest did not exit.
    if (redis && !redis.running) await redis.restart();
    await t?.close();
    await redis?.stop();
  });

  it('given Redis killed, the right password signs in at once, and wrong ones are still locked out; once Redis is back, failures are counted there again', async () => {
    await redis.kill();

    const started = Date.now();
    const res = await t
      .http()
      .post('/api/auth/login')
      .send({ username: 'applicant', password: TEST_USER_PASSWORD })
      .expect(200);
    expect(res.body.accessToken).toEqual(expect.any(String));
    expect(Date.now() - started).toBeLessThan(3000);

    for (const status of [401, 401, 429]) {
      await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'test-team', password: 'not-the-password' })
        .expect(status);
    }
    const locked = await t
      .http()
      .post('/api/auth/login')
      .send({ username: 'test-team', password: TEST_USER_PASSWORD })
      .expect(429);
    expect(locked.headers['retry-after']).toBe('60');

    // when Redis is back, the service is ready again and a failed sign-in is counted in Redis, for every process
    await redis.restart();
    await eventually(async () => (await t.http().get('/health/ready')).status === 200, {
      what: 'readiness after Redis came back',
    });
    const shared = new Redis(redis.url);
    try {
      let attempt = 0;
      await eventually(
        async () => {
          const username = `back-${++attempt}`;
          await t.http().post('/api/auth/login').send({ username, password: 'wrong' }).expect(401);
          const key = `${t.config.queuePrefix}:sign-in:user-failures:${username}`;
          return (await shared.exists(key)) === 1;
        },
        // slow enough to stay under the per-address limit while the throttle reconnects
        { intervalMs: 250, what: 'a sign-in failure counted in Redis' },
      );
    } finally {
      shared.disconnect();
    }
  });
});
