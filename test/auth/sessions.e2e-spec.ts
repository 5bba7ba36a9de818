import jwt from 'jsonwebtoken';
import { startTestApp, type TestApp } from '../support/test-app';
import { TEST_ADMIN_PASSWORD, TEST_JWT_SECRET } from '../support/users';
import { addUsers, signedToken, userId } from '../support/release-driver';

/**
 * Sessions end when they should: a password change, a deactivation and "sign out everywhere" (one's own, or an
 * administrator's for a user) revoke every token the user holds; a token without an expiry is never accepted.
 * Administration cannot lock itself out: no self-deactivation, never zero active administrators.
 */
describe('sessions and administrators', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const login = async (username: string, password: string) => {
    const res = await t.http().post('/api/auth/login').send({ username, password }).expect(200);
    return res.body.accessToken as string;
  };
  const me = (token: string) => t.http().get('/api/me').set('Authorization', `Bearer ${token}`);
  const createUser = async (username: string, password: string, roles: string[] = ['applicant']) => {
    const res = await t
      .as('admin')
      .post('/api/users')
      .send({ username, displayName: username, password, roles })
      .expect(201);
    return res.body.id as string;
  };
  const userRows = () =>
    t.dataSource.query(
      `SELECT username, roles, active, token_generation, updated_at FROM app_user ORDER BY username`,
    );

  describe('administrators cannot lock administration out', () => {
    it('given the only administrator, when they deactivate or demote themselves, then 409 and nothing changes', async () => {
      const id = await userId(t, 'admin');
      expect(await t.dataSource.query(`SELECT username FROM app_user WHERE 'admin' = ANY(roles)`)).toEqual([
        { username: 'admin' },
      ]);
      const before = await userRows();

      const deactivate = await t.as('admin').patch(`/api/users/${id}`).send({ active: false }).expect(409);
      expect(deactivate.body).toEqual({
        statusCode: 409,
        error: 'conflict',
        message: 'you cannot deactivate yourself: ask another administrator to do it',
      });
      const demote = await t
        .as('admin')
        .patch(`/api/users/${id}`)
        .send({ roles: ['applicant'] })
        .expect(409);
      expect(demote.body.message).toBe(
        '"admin" is the last active administrator: make another user an administrator first',
      );

      expect(await userRows()).toEqual(before);
      await me(t.tokens['admin']!).expect(200);
    });

    it('given a second administrator, deactivating oneself is still refused, and the other may be demoted', async () => {
      await addUsers(t, [{ username: 'second-admin', roles: ['admin'] }]);
      const admin = await userId(t, 'admin');
      await t.as('admin').patch(`/api/users/${admin}`).send({ active: false }).expect(409);

      const demoted = await t
        .as('admin')
        .patch(`/api/users/${await userId(t, 'second-admin')}`)
        .send({ roles: ['applicant'] })
        .expect(200);
      expect(demoted.body.roles).toEqual(['applicant']);
    });
  });

  describe('revocation', () => {
    it('given a signed-in user, when an administrator changes their password, then the old token is refused and the new password signs in', async () => {
      const id = await createUser('pw-change', 'first-password');
      const old = await login('pw-change', 'first-password');
      await me(old).expect(200);

      await t.as('admin').patch(`/api/users/${id}`).send({ password: 'second-password' }).expect(200);

      const refused = await me(old).expect(401);
      expect(refused.body).toEqual({
        statusCode: 401,
        error: 'unauthorized',
        message: 'the token is invalid or expired',
      });
      await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'pw-change', password: 'first-password' })
        .expect(401);
      await me(await login('pw-change', 'second-password')).expect(200);
    });

    it('given a deactivated user, when they are activated again, then their old token stays dead and a new sign-in works', async () => {
      const id = await createUser('deactivated', 'deactivated-pw');
      const old = await login('deactivated', 'deactivated-pw');

      await t.as('admin').patch(`/api/users/${id}`).send({ active: false }).expect(200);
      await me(old).expect(401);
      await t.as('admin').patch(`/api/users/${id}`).send({ active: true }).expect(200);

      await me(old).expect(401);
      await me(await login('deactivated', 'deactivated-pw')).expect(200);
    });

    it('given two sessions, when the user signs out everywhere, then both tokens are refused and signing in again works', async () => {
      await createUser('two-devices', 'two-devices-pw');
      const laptop = await login('two-devices', 'two-devices-pw');
      const phone = await login('two-devices', 'two-devices-pw');

      await t.http().post('/api/auth/logout-all').set('Authorization', `Bearer ${laptop}`).expect(204);

      await me(laptop).expect(401);
      await me(phone).expect(401);
      await me(await login('two-devices', 'two-devices-pw')).expect(200);
    });

    it('given a signed-in user, when an administrator revokes their sessions, then their token is refused; other users keep theirs', async () => {
      const id = await createUser('revoked', 'revoked-password');
      const token = await login('revoked', 'revoked-password');
      await me(t.tokens['applicant']!).expect(200);

      await t.as('admin').post(`/api/users/${id}/sessions/revoke`).expect(204);

      await me(token).expect(401);
      await me(t.tokens['applicant']!).expect(200);
    });

    it('revoking sessions is for administrators (403) and needs a known user (404)', async () => {
      const id = await userId(t, 'applicant');
      const before = await userRows();
      const forbidden = await t.as('project-manager').post(`/api/users/${id}/sessions/revoke`).expect(403);
      expect(forbidden.body.message).toBe('this needs one of the roles: admin');
      const unknown = await t
        .as('admin')
        .post('/api/users/00000000-0000-4000-8000-000000000000/sessions/revoke')
        .expect(404);
      expect(unknown.body.message).toBe('user 00000000-0000-4000-8000-000000000000 does not exist');
      expect(await userRows()).toEqual(before);
      await me(t.tokens['applicant']!).expect(200);
    });

    it("given an administrator's revoked token, the queue board refuses it too", async () => {
      await addUsers(t, [{ username: 'board-admin', roles: ['admin'] }]);
      const token = t.tokens['board-admin']!;
      await t.http().get('/admin/queues').set('Authorization', `Bearer ${token}`).expect(200);

      await t
        .as('admin')
        .post(`/api/users/${await userId(t, 'board-admin')}/sessions/revoke`)
        .expect(204);

      await t.http().get('/admin/queues').set('Authorization', `Bearer ${token}`).expect(401);
    });

    it('a token without an expiry is refused, although its signature and user are right', async () => {
      const id = await userId(t, 'applicant');
      const forever = jwt.sign({ username: 'applicant' }, TEST_JWT_SECRET, {
        subject: id,
        algorithm: 'HS256',
      });
      expect(jwt.decode(forever)).not.toHaveProperty('exp');

      await me(forever).expect(401);
      await me(signedToken(id, 'applicant')).expect(200); // the same claims with an expiry pass
    });
  });

  describe('two administrators at once', () => {
    // Last: the seeded administrator steps down here.
    it('given two administrators demoting each other at the same moment, exactly one wins and one administrator is left', async () => {
      await addUsers(t, [
        { username: 'race-a', roles: ['admin'] },
        { username: 'race-b', roles: ['admin'] },
      ]);
      // The other administrators step down (allowed: others are left), leaving exactly race-a and race-b.
      for (const username of ['board-admin', 'admin']) {
        await t
          .as('admin')
          .patch(`/api/users/${await userId(t, username)}`)
          .send({ roles: ['applicant'] })
          .expect(200);
      }
      const activeAdmins = () =>
        t.dataSource.query(
          `SELECT username FROM app_user WHERE 'admin' = ANY(roles) AND active ORDER BY username`,
        );
      expect(await activeAdmins()).toEqual([{ username: 'race-a' }, { username: 'race-b' }]);
      const [a, b] = [await userId(t, 'race-a'), await userId(t, 'race-b')];

      const answers = await Promise.all([
        t
          .as('race-a')
          .patch(`/api/users/${b}`)
          .send({ roles: ['applicant'] }),
        t
          .as('race-b')
          .patch(`/api/users/${a}`)
          .send({ roles: ['applicant'] }),
      ]);

      expect(answers.map((res) => res.status).sort()).toEqual([200, 409]);
      const refused = answers.find((res) => res.status === 409)!;
      expect(refused.body.message).toMatch(/is the last active administrator/);
      expect(await activeAdmins()).toHaveLength(1);
      // A role change ends no session: the former administrator still signs in, now without the role.
      await me(await login('admin', TEST_ADMIN_PASSWORD)).expect(200, /"roles":\["applicant"\]/);
    });
  });
});
