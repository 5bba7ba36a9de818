import { startTestApp, type TestApp } from '../support/test-app';
import { eventually } from '../support/test-env';
import { TEST_ADMIN_PASSWORD, TEST_USER_PASSWORD } from '../support/users';

/**
 * Failed sign-ins are throttled per username and per client address, in Redis so that every API process
 * counts the same: after the limit a lockout (429 with Retry-After) refuses even the right password, and each
 * further lockout doubles. The queue board's HTTP Basic sign-in shares the counters. Short lockouts here
 * (1 s, doubling to 2 s) keep the scenarios quick; by default 5 failures in 15 minutes lock a username out for
 * a minute, doubling up to an hour.
 */
const THROTTLE = {
  LOGIN_MAX_ATTEMPTS: '3',
  LOGIN_WINDOW_SECONDS: '60',
  LOGIN_LOCKOUT_SECONDS: '1',
  LOGIN_LOCKOUT_MAX_SECONDS: '2',
};

async function throttledCount(t: TestApp, surface: string, scope: string): Promise<number> {
  const res = await t.as('admin').get('/metrics').expect(200);
  const line = res.text
    .split('\n')
    .find((l) =>
      l.startsWith(`release_flow_sign_ins_throttled_total{surface="${surface}",scope="${scope}"}`),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

const signIn = (t: TestApp, username: string, password: string) =>
  t.http().post('/api/auth/login').send({ username, password });

/** Wrong passwords, one after the other; each must be an ordinary 401. */
async function failSignIns(t: TestApp, username: string, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    const res = await signIn(t, username, 'not-the-password');
    expect({ attempt: i + 1, status: res.status, message: res.body.message }).toEqual({
      attempt: i + 1,
      status: 401,
      message: 'wrong username or password',
    });
  }
}

describe('sign-in throttling', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(THROTTLE);
  });
  afterAll(() => t.close());

  it('given three wrong passwords, then the right one is refused with 429 and Retry-After until the lockout ends', async () => {
    const throttledBefore = await throttledCount(t, 'api', 'user');
    await failSignIns(t, 'applicant', 3);

    const locked = await signIn(t, 'applicant', TEST_USER_PASSWORD).expect(429);
    expect(locked.headers['retry-after']).toBe('1');
    expect(locked.body).toEqual({
      statusCode: 429,
      error: 'too many requests',
      message: 'too many failed sign-ins: try again in 1 s',
    });
    expect(await throttledCount(t, 'api', 'user')).toBe(throttledBefore + 1);
    // Another user from the same address is not locked out by it.
    await signIn(t, 'test-team', TEST_USER_PASSWORD).expect(200);

    const signedIn = await eventually(
      async () => {
        const res = await signIn(t, 'applicant', TEST_USER_PASSWORD);
        if (res.status !== 200 && res.status !== 429) throw new Error(`unexpected ${res.status}`);
        return res.status === 200 ? res : undefined;
      },
      { timeoutMs: 5000, intervalMs: 200, what: 'the lockout to end' },
    );
    expect(signedIn.body.accessToken).toEqual(expect.any(String));
  });

  it('given a second lockout in a row, it lasts twice as long; a successful sign-in starts the count over', async () => {
    await failSignIns(t, 'project-team', 3);
    expect((await signIn(t, 'project-team', 'not-the-password').expect(429)).headers['retry-after']).toBe(
      '1',
    );
    // Wrong passwords during a lockout are not even checked; the first one after it counts again.
    await eventually(async () => (await signIn(t, 'project-team', 'not-the-password')).status === 401, {
      timeoutMs: 5000,
      intervalMs: 200,
      what: 'the first lockout to end',
    });
    await failSignIns(t, 'project-team', 2);
    expect((await signIn(t, 'project-team', TEST_USER_PASSWORD).expect(429)).headers['retry-after']).toBe(
      '2',
    );

    await eventually(async () => (await signIn(t, 'project-team', TEST_USER_PASSWORD)).status === 200, {
      timeoutMs: 6000,
      intervalMs: 200,
      what: 'the second lockout to end',
    });
    await failSignIns(t, 'project-team', 3);
    expect((await signIn(t, 'project-team', TEST_USER_PASSWORD).expect(429)).headers['retry-after']).toBe(
      '1',
    );
  });

  it('given two API processes on one Redis, failures counted by one lock the user out on the other', async () => {
    const other = await startTestApp({ ...THROTTLE, RUN_WORKERS: 'false' }, t.resources);
    try {
      await failSignIns(t, 'network-engineer', 3);
      const locked = await signIn(other, 'network-engineer', TEST_USER_PASSWORD).expect(429);
      expect(locked.headers['retry-after']).toBe('1');
    } finally {
      await other.stop();
    }
  });

  it('given wrong passwords on the queue board (HTTP Basic), it answers 429 too, and so does the API login of that user', async () => {
    const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    const throttledBefore = await throttledCount(t, 'queue-board', 'user');
    for (let i = 0; i < 3; i++) {
      const res = await t.http().get('/admin/queues').set('Authorization', basic('guess')).expect(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic/);
    }

    const locked = await t
      .http()
      .get('/admin/queues')
      .set('Authorization', basic(TEST_ADMIN_PASSWORD))
      .expect(429);
    expect(locked.headers['retry-after']).toBe('1');
    expect(locked.body).toMatchObject({ statusCode: 429, message: /too many failed sign-ins/ });
    await signIn(t, 'admin', TEST_ADMIN_PASSWORD).expect(429);
    expect(await throttledCount(t, 'queue-board', 'user')).toBe(throttledBefore + 1);

    await eventually(
      async () =>
        (await t.http().get('/admin/queues').set('Authorization', basic(TEST_ADMIN_PASSWORD))).status === 200,
      { timeoutMs: 5000, intervalMs: 200, what: 'the lockout to end' },
    );
  });
  it('given wrong HTTP Basic passwords on the Camunda API, the lockout is a 429 problem with Retry-After', async () => {
    // given a user who guessed wrong on /v2 up to the limit
    const basic = (password: string) => `Basic ${Buffer.from(`test-team:${password}`).toString('base64')}`;
    for (let i = 0; i < 3; i++)
      await t.http().get('/v2/topology').set('Authorization', basic('guess')).expect(401);
    // when the right password comes during the lockout
    const locked = await t
      .http()
      .get('/v2/topology')
      .set('Authorization', basic(TEST_USER_PASSWORD))
      .expect(429);
    // then the answer says how long to wait, in the header a client reads and in the problem's detail
    expect(locked.headers['retry-after']).toBe('1');
    expect(locked.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(locked.body).toMatchObject({
      status: 429,
      title: 'RESOURCE_EXHAUSTED',
      detail: /too many failed sign-ins/,
    });
    await eventually(
      async () =>
        (await t.http().get('/v2/topology').set('Authorization', basic(TEST_USER_PASSWORD))).status === 200,
      { timeoutMs: 5000, intervalMs: 200, what: 'the lockout to end' },
    );
  });
});

describe('sign-in throttling per address', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ...THROTTLE, LOGIN_MAX_ATTEMPTS: '10', LOGIN_ADDRESS_MAX_ATTEMPTS: '4' });
  });
  afterAll(() => t.close());

  it('given wrong passwords for many usernames from one address, then that address is locked out, whoever signs in', async () => {
    for (const username of ['applicant', 'test-team', 'nobody-1', 'nobody-2'])
      await failSignIns(t, username, 1);

    const locked = await signIn(t, 'project-manager', TEST_USER_PASSWORD).expect(429);
    expect(locked.headers['retry-after']).toBe('1');
    expect(await throttledCount(t, 'api', 'address')).toBe(1);

    await eventually(async () => (await signIn(t, 'project-manager', TEST_USER_PASSWORD)).status === 200, {
      timeoutMs: 5000,
      intervalMs: 200,
      what: 'the address lockout to end',
    });
  });

  it('given no trusted proxy, an X-Forwarded-For header does not free a locked-out client', async () => {
    // given one client locked out after wrong passwords, each sent with a made-up forwarded address
    for (const [i, username] of ['applicant', 'test-team', 'nobody-3', 'nobody-4'].entries())
      await signIn(t, username, 'not-the-password')
        .set('X-Forwarded-For', `203.0.113.${i + 1}`)
        .expect(401);
    // when it names yet another address, then its own address is still locked out
    await signIn(t, 'project-manager', TEST_USER_PASSWORD).set('X-Forwarded-For', '203.0.113.9').expect(429);
    await eventually(async () => (await signIn(t, 'project-manager', TEST_USER_PASSWORD)).status === 200, {
      timeoutMs: 5000,
      intervalMs: 200,
      what: 'the address lockout to end',
    });
  });
});

describe('sign-in throttling per address behind a trusted proxy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({
      ...THROTTLE,
      LOGIN_MAX_ATTEMPTS: '10',
      LOGIN_ADDRESS_MAX_ATTEMPTS: '4',
      TRUST_PROXY: 'loopback',
    });
  });
  afterAll(() => t.close());

  it('given the proxy on loopback is trusted, clients are told apart by the address it forwards', async () => {
    const from = (address: string, username: string, password: string) =>
      signIn(t, username, password).set('X-Forwarded-For', address);
    // given one client behind the proxy locked out after wrong passwords
    for (const username of ['applicant', 'test-team', 'nobody-1', 'nobody-2'])
      await from('203.0.113.1', username, 'not-the-password').expect(401);
    await from('203.0.113.1', 'project-manager', TEST_USER_PASSWORD).expect(429);
    // when another client signs in through the same proxy, then it is not locked out with the first
    await from('203.0.113.2', 'project-manager', TEST_USER_PASSWORD).expect(200);
  });
});
