import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '../support/child-service';
import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { TEST_USER_PASSWORD } from '../support/users';

/**
 * Redis down: sign-in keeps working and stays throttled, from this process's memory (the choice made in
 * SignInThrottle: the credentials live in PostgreSQL, Redis only shares the counts). Never a 500, never a hang.
 * Runs on its own redis-server, which the test kills; the machine's Redis is left alone.
 */
describe('sign-in while Redis is down', () => {
  let t: TestApp;
  let redis: ChildProcess | undefined;
  let port: number;

  const stopRedis = async () => {
    const child = redis;
    redis = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };

  beforeAll(async () => {
    port = await freePort();
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await eventually(
      async () => {
        const probe = new Redis({
          port,
          host: '127.0.0.1',
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } finally {
          probe.disconnect();
        }
      },
      { what: 'the test redis-server' },
    );
    t = await startTestApp({
      REDIS_URL: `redis://127.0.0.1:${port}`,
      RUN_WORKERS: 'false',
      LOGIN_MAX_ATTEMPTS: '2',
      LOGIN_LOCKOUT_SECONDS: '60',
    });
  });
  afterAll(async () => {
    await stopRedis();
    await t?.close();
  });

  it('given Redis killed, the right password signs in at once, and wrong ones are still locked out', async () => {
    await stopRedis();

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
  });
});
