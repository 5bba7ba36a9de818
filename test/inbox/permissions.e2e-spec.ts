import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/test-app';
import { TEST_ADMIN_PASSWORD, TEST_USER_PASSWORD } from '../support/users';
import {
  expiredToken,
  foreignToken,
  send,
  signedToken,
  taskSnapshot,
  userId,
  USERS,
  MINIMAL_REQUEST,
  ReleaseDriver,
  type Method,
  type SeededUser,
  type Task,
} from '../support/release-driver';

/**
 * Who may do what (release-procedure: roles): every seeded user (one per role, plus admin) against every
 * action, as a matrix. Allowed means the call gets past authorisation: its 2xx, or a domain 4xx that is not
 * 401/403 (a form that is not valid, an incident that does not exist). Refused means 403 with the reason.
 * Without a token, or with a bad, foreign or expired one, every action is 401.
 */
describe('permissions', () => {
  let t: TestApp;
  let walk: ReleaseDriver;
  /** Fixtures the actions work on. */
  let shown: { number: string };
  let claimable: Task;
  let completable: Task;
  let reworkClaimable: Task;
  let reworkCompletable: Task;
  let assignable: Task;
  let patchTargetId: string;

  beforeAll(async () => {
    t = await startTestApp();
    walk = ReleaseDriver.forApp(t, { defaults: MINIMAL_REQUEST });
    shown = await walk.file('standard', { title: 'shown to everyone' });
    const [a, b, c, d, e] = await Promise.all([1, 2, 3, 4, 5].map(() => walk.file('standard')));
    claimable = await walk.task(a!.id, 'assess-request');
    completable = await walk.task(b!.id, 'assess-request');
    assignable = await walk.task(e!.id, 'assess-request');
    // Two requests returned to the applicant group for rework.
    await walk.step(c!.id, 'assess-request', { assessmentDecision: 'rework' });
    await walk.step(d!.id, 'assess-request', { assessmentDecision: 'rework' });
    reworkClaimable = await walk.task(c!.id, 'rework-request');
    reworkCompletable = await walk.task(d!.id, 'rework-request');
    const created = await t
      .as('admin')
      .post('/api/users')
      .send({ username: 'patch-target', displayName: 'Patch Target', password: 'patch-target-pw', roles: [] })
      .expect(201);
    patchTargetId = created.body.id;
  });
  afterAll(() => t.close());

  interface Action {
    readonly name: string;
    readonly allowed: readonly SeededUser[];
    /** The status an allowed user gets. */
    readonly status: number;
    /** Method, URL and body; may prepare what the call works on. */
    readonly request: () => Promise<{ method: Method; url: string; body?: unknown }>;
  }

  const EVERYONE = USERS;
  const ACTIONS: readonly Action[] = [
    {
      name: 'file a release',
      allowed: ['applicant', 'project-manager'],
      status: 201,
      request: async () => ({
        method: 'post',
        url: '/api/releases',
        body: { class: 'standard', request: { title: 'filed', source: 'other', rollbackPlan: 'undo' } },
      }),
    },
    {
      name: 'list releases',
      allowed: EVERYONE,
      status: 200,
      request: async () => ({ method: 'get', url: '/api/releases' }),
    },
    {
      name: 'get a release',
      allowed: EVERYONE,
      status: 200,
      request: async () => ({ method: 'get', url: `/api/releases/${shown.number}` }),
    },
    {
      name: 'cancel a release',
      allowed: ['project-manager', 'admin'],
      status: 200,
      request: async () => ({
        method: 'post',
        url: `/api/releases/${(await walk.file('standard')).id}/cancel`,
        body: { reason: 'superseded' },
      }),
    },
    {
      name: 'list incidents',
      allowed: ['admin', 'project-manager'],
      status: 200,
      request: async () => ({ method: 'get', url: '/api/incidents?state=open' }),
    },
    {
      // No incident is open here: an administrator gets past the guard to the 404.
      name: 'retry an incident',
      allowed: ['admin'],
      status: 404,
      request: async () => ({ method: 'post', url: `/api/incidents/${randomUUID()}/retry` }),
    },
    {
      name: 'list users',
      allowed: ['admin'],
      status: 200,
      request: async () => ({ method: 'get', url: '/api/users' }),
    },
    {
      name: 'create a user',
      allowed: ['admin'],
      status: 201,
      request: async () => ({
        method: 'post',
        url: '/api/users',
        body: {
          username: `u-${randomUUID().slice(0, 8)}`,
          displayName: 'New',
          password: 'long-enough-password',
          roles: ['test-team'],
        },
      }),
    },
    {
      name: 'update a user',
      allowed: ['admin'],
      status: 200,
      request: async () => ({
        method: 'patch',
        url: `/api/users/${patchTargetId}`,
        body: { displayName: 'Patched' },
      }),
    },
    {
      name: 'read /api/me',
      allowed: EVERYONE,
      status: 200,
      request: async () => ({ method: 'get', url: '/api/me' }),
    },
    {
      name: 'read the statistics',
      allowed: ['project-manager', 'admin'],
      status: 200,
      request: async () => ({ method: 'get', url: '/api/statistics/releases' }),
    },
    {
      name: 'list process definitions',
      allowed: EVERYONE,
      status: 200,
      request: async () => ({ method: 'get', url: '/api/process-definitions' }),
    },
    {
      name: 'claim a project-manager task',
      allowed: ['project-manager'],
      status: 200,
      request: async () => ({ method: 'post', url: `/api/tasks/${claimable.id}/claim` }),
    },
    {
      // Empty data: a member of the group gets past the permission checks to the form's 400.
      name: 'complete a project-manager task',
      allowed: ['project-manager'],
      status: 400,
      request: async () => ({
        method: 'post',
        url: `/api/tasks/${completable.id}/complete`,
        body: { data: {} },
      }),
    },
    {
      name: 'claim an applicant task',
      allowed: ['applicant'],
      status: 200,
      request: async () => ({ method: 'post', url: `/api/tasks/${reworkClaimable.id}/claim` }),
    },
    {
      name: 'complete an applicant task',
      allowed: ['applicant'],
      status: 400,
      request: async () => ({
        method: 'post',
        url: `/api/tasks/${reworkCompletable.id}/complete`,
        body: { data: {} },
      }),
    },
    {
      name: 'assign a task',
      allowed: ['project-manager', 'admin'],
      status: 200,
      request: async () => ({
        method: 'post',
        url: `/api/tasks/${assignable.id}/assign`,
        body: { assignee: 'project-manager' },
      }),
    },
  ];

  const MATRIX = ACTIONS.flatMap((action) =>
    USERS.map((user) => [action.name, user, action.allowed.includes(user) ? 'allowed' : 'refused'] as const),
  );

  it.each(MATRIX)('%s as %s: %s', async (name, user, verdict) => {
    const action = ACTIONS.find((a) => a.name === name)!;
    const { method, url, body } = await action.request();
    const res = await send(t, method, url, `Bearer ${t.tokens[user]}`, body);
    if (verdict === 'allowed') {
      expect({ status: res.status, body: res.body }).toMatchObject({ status: action.status });
    } else {
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ statusCode: 403, error: 'forbidden', message: expect.any(String) });
      expect(res.body.message).not.toBe('');
    }
  });

  it('names the roles an endpoint needs when it refuses', async () => {
    const res = await t.as('test-team').get('/api/statistics/releases').expect(403);
    expect(res.body.message).toBe('this needs one of the roles: project-manager, admin');
    const claim = await t.as('test-team').post(`/api/tasks/${claimable.id}/claim`).expect(403);
    expect(claim.body.message).toBe('only members of project-manager may claim this task');
  });

  it('leaves the tasks the matrix was refused on as they were', async () => {
    for (const task of [completable, reworkCompletable]) {
      const { task: row, history } = await taskSnapshot(t, task.id);
      expect(row).toMatchObject({ status: 'open', assignee: null, output: null, completed_by: null });
      const own = await t.as('project-manager').get(`/api/tasks/${task.id}`).expect(200);
      expect(own.body.history.map((h: { type: string }) => h.type)).not.toContain('task.completed');
      expect(history).toBeGreaterThan(0);
    }
    // Claimed by the only member of the group allowed to; assigned by the coordinators.
    expect((await taskSnapshot(t, claimable.id)).task.assignee).toBe('project-manager');
    expect((await taskSnapshot(t, reworkClaimable.id)).task.assignee).toBe('applicant');
    expect((await taskSnapshot(t, assignable.id)).task.assignee).toBe('project-manager');
  });

  describe('without a valid token', () => {
    let badTokens: Record<string, string | undefined>;

    beforeAll(async () => {
      const id = await userId(t, 'admin');
      badTokens = {
        'no Authorization header': undefined,
        'a bearer token that is not a JWT': 'Bearer not-a-jwt',
        'another scheme': `Basic ${Buffer.from(`admin:${TEST_ADMIN_PASSWORD}`).toString('base64')}`,
        'an expired token': `Bearer ${expiredToken(id, 'admin')}`,
        'a token signed with another secret': `Bearer ${foreignToken(id, 'admin')}`,
      };
    });

    const CASES = ACTIONS.flatMap((action) =>
      [
        'no Authorization header',
        'a bearer token that is not a JWT',
        'another scheme',
        'an expired token',
        'a token signed with another secret',
      ].map((how) => [action.name, how] as const),
    );

    it.each(CASES)('%s with %s: 401', async (name, how) => {
      const action = ACTIONS.find((a) => a.name === name)!;
      const { method, url, body } = await action.request();
      const res = await send(t, method, url, badTokens[how], body);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ statusCode: 401, error: 'unauthorized', message: expect.any(String) });
    });

    it('a token for an unknown user id is refused even when signed with the right secret', async () => {
      await send(t, 'get', '/api/me', `Bearer ${signedToken(randomUUID(), 'ghost')}`).expect(401);
    });

    it('the expired token is refused although its user is active and its signature is right', async () => {
      const id = await userId(t, 'project-manager');
      await send(t, 'get', '/api/me', `Bearer ${expiredToken(id, 'project-manager')}`)
        .expect(401)
        .expect((res) => expect(res.body.message).toBe('the token is invalid or expired'));
      await t.as('project-manager').get('/api/me').expect(200);
    });
  });

  describe('sign-in', () => {
    it('POST /api/auth/login returns {accessToken, expiresIn, user}, and the token works', async () => {
      const res = await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'admin', password: TEST_ADMIN_PASSWORD })
        .expect(200);
      expect(res.body).toEqual({
        accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
        expiresIn: t.config.jwtTtlSeconds,
        user: {
          id: await userId(t, 'admin'),
          username: 'admin',
          displayName: 'Administrator',
          roles: ['admin'],
        },
      });
      const me = await send(t, 'get', '/api/me', `Bearer ${res.body.accessToken}`).expect(200);
      expect(me.body).toEqual(res.body.user);

      const tester = await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'test-team', password: TEST_USER_PASSWORD })
        .expect(200);
      expect(tester.body.user).toMatchObject({ username: 'test-team', roles: ['test-team'] });
      expect(JSON.stringify(tester.body)).not.toMatch(/password/i);
    });

    it('a wrong password gets 401 with the same answer as an unknown user', async () => {
      const wrong = await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'admin', password: 'not-the-password' })
        .expect(401);
      const unknown = await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'nobody-here', password: 'not-the-password' })
        .expect(401);
      expect(wrong.body).toEqual({
        statusCode: 401,
        error: 'unauthorized',
        message: 'wrong username or password',
      });
      expect(unknown.body).toEqual(wrong.body);
    });

    it('the user list never carries password hashes', async () => {
      const res = await t.as('admin').get('/api/users').expect(200);
      expect(res.body.map((u: { username: string }) => u.username)).toEqual(
        expect.arrayContaining([...USERS, 'patch-target']),
      );
      expect(JSON.stringify(res.body)).not.toMatch(/password|\$2[aby]\$/i);
    });
  });

  describe('changes to a user take effect at once', () => {
    it('a deactivated user’s token stops working on the next request, and they cannot sign in', async () => {
      const created = await t
        .as('admin')
        .post('/api/users')
        .send({
          username: 'leaver',
          displayName: 'Leaver',
          password: 'leaver-password',
          roles: ['test-team'],
        })
        .expect(201);
      const login = await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'leaver', password: 'leaver-password' })
        .expect(200);
      const auth = `Bearer ${login.body.accessToken}`;
      await send(t, 'get', '/api/me', auth).expect(200);
      await send(t, 'get', '/api/tasks', auth).expect(200);

      const patched = await t
        .as('admin')
        .patch(`/api/users/${created.body.id}`)
        .send({ active: false })
        .expect(200);
      expect(patched.body.active).toBe(false);

      const me = await send(t, 'get', '/api/me', auth).expect(401);
      expect(me.body.message).toBe('the token is invalid or expired');
      await send(t, 'get', '/api/tasks', auth).expect(401);
      const again = await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'leaver', password: 'leaver-password' })
        .expect(401);
      expect(again.body.message).toBe('wrong username or password');
    });

    it('a role change applies to the token already issued', async () => {
      const created = await t
        .as('admin')
        .post('/api/users')
        .send({ username: 'mover', displayName: 'Mover', password: 'mover-password', roles: ['test-team'] })
        .expect(201);
      const login = await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'mover', password: 'mover-password' })
        .expect(200);
      const auth = `Bearer ${login.body.accessToken}`;
      await send(t, 'get', '/api/statistics/releases', auth).expect(403);
      await send(t, 'post', `/api/tasks/${assignable.id}/assign`, auth, {
        assignee: 'project-manager',
      }).expect(403);

      await t
        .as('admin')
        .patch(`/api/users/${created.body.id}`)
        .send({ roles: ['project-manager'] })
        .expect(200);
      await send(t, 'get', '/api/statistics/releases', auth).expect(200);
      expect((await send(t, 'get', '/api/me', auth).expect(200)).body.roles).toEqual(['project-manager']);

      await t
        .as('admin')
        .patch(`/api/users/${created.body.id}`)
        .send({ roles: ['test-team'] })
        .expect(200);
      await send(t, 'get', '/api/statistics/releases', auth).expect(403);
    });
  });
});
