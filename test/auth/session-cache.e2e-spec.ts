import { ManualClock } from '../support/manual-clock';
import { addUsers, userId } from '../support/release-driver';
import { startTestApp, type TestApp } from '../support/test-app';
import { UserService } from '../../src/identity/user.service';

/**
 * The token check keeps the users it read for SESSION_CACHE_TTL_MS. A change made through this process takes
 * effect at once; one made by another process sharing the database (here: the same statement, run beside the
 * service) takes effect once the entry expires, never later.
 */
describe('the token check’s user cache', () => {
  const TTL_MS = 30_000;
  const clock = new ManualClock();
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ SESSION_CACHE_TTL_MS: String(TTL_MS) }, undefined, [], { clock });
  });
  afterAll(() => t.close());

  const me = (token: string) => t.http().get('/api/me').set('Authorization', `Bearer ${token}`);
  const appUserReads = async (fn: () => Promise<unknown>) => {
    const stats = () => t.get<UserService>(UserService).sessionCacheStats();
    const before = stats();
    await fn();
    const after = stats();
    return { hits: after.hits - before.hits, misses: after.misses - before.misses };
  };
  /** What another API process does when an administrator revokes the user's sessions there. */
  const revokedElsewhere = (id: string) =>
    t.dataSource.query(`UPDATE app_user SET token_generation = token_generation + 1 WHERE id = $1`, [id]);

  it('given a signed-in user, when they call the API five times, then their row is read once', async () => {
    await addUsers(t, [{ username: 'cached-five', roles: ['applicant'] }]);
    const token = t.tokens['cached-five']!;

    const counts = await appUserReads(async () => {
      for (let i = 0; i < 5; i += 1) await me(token).expect(200);
    });

    expect(counts).toEqual({ hits: 4, misses: 1 });
  });

  it('given a cached session, when another process revokes it, then the token works until the TTL and is refused after it', async () => {
    await addUsers(t, [{ username: 'revoked-elsewhere', roles: ['applicant'] }]);
    const token = t.tokens['revoked-elsewhere']!;
    await me(token).expect(200);

    await revokedElsewhere(await userId(t, 'revoked-elsewhere'));

    await me(token).expect(200); // within the TTL: the bound the configuration documents
    await clock.advance(TTL_MS, t.resources);
    await me(token).expect(401, /the token is invalid or expired/);
  });

  it('given a cached session, when this process revokes it or changes the roles, then it takes effect at once', async () => {
    await addUsers(t, [
      { username: 'revoked-here', roles: ['applicant'] },
      { username: 'demoted-here', roles: ['admin'] },
    ]);
    const revoked = t.tokens['revoked-here']!;
    const demoted = t.tokens['demoted-here']!;
    await me(revoked).expect(200);
    await t.http().get('/api/users').set('Authorization', `Bearer ${demoted}`).expect(200);

    await t
      .as('admin')
      .post(`/api/users/${await userId(t, 'revoked-here')}/sessions/revoke`)
      .expect(204);
    await t
      .as('admin')
      .patch(`/api/users/${await userId(t, 'demoted-here')}`)
      .send({ roles: ['applicant'] })
      .expect(200);

    await me(revoked).expect(401);
    await t.http().get('/api/users').set('Authorization', `Bearer ${demoted}`).expect(403);
  });
});
