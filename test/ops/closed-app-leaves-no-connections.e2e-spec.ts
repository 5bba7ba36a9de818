import { startTestApp } from '../support/test-app';
import { TEST_USER_PASSWORD } from '../support/users';

interface Handle {
  constructor?: { name?: string };
  remotePort?: number;
  localPort?: number;
}

/** The process's open sockets and servers, as `process._getActiveHandles()` lists them. */
function openConnections(): Handle[] {
  const { _getActiveHandles } = process as unknown as { _getActiveHandles(): Handle[] };
  return _getActiveHandles.call(process).filter((handle) => {
    const kind = handle.constructor?.name;
    return kind === 'Server' || (kind === 'Socket' && handle.remotePort !== undefined);
  });
}

const describeHandle = (handle: Handle) =>
  `${handle.constructor?.name} ${handle.localPort ?? ''} -> ${handle.remotePort ?? ''}`;

/**
 * Stopping the app closes what it opened before it returns: PostgreSQL and Redis sockets (pool, job workers,
 * sign-in throttle), the HTTP server. A socket still closing afterwards keeps a test process (or a service meant
 * to exit) alive a while longer; at the end of a test run jest kills a worker that takes over half a second to
 * exit ("A worker process has failed to exit gracefully").
 */
describe('closing the app', () => {
  it('given an app that served requests and ran its workers, when stop returns, then none of its connections is open', async () => {
    const before = new Set(openConnections());
    const opened = () => openConnections().filter((handle) => !before.has(handle));
    const t = await startTestApp();
    try {
      await t.http().get('/health/ready').expect(200);
      await t
        .http()
        .post('/api/auth/login')
        .send({ username: 'applicant', password: TEST_USER_PASSWORD })
        .expect(200);
      expect(opened().length).toBeGreaterThan(0);

      await t.stop();

      expect(opened().map(describeHandle)).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
