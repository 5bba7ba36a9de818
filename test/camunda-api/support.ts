import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * The service in this process, listening on a port of its own (Camunda's clients speak HTTP, not supertest), with
 * the instances' fixtures as its shipped flows and long polls capped at two seconds, so a closing worker's last
 * poll does not hold the shutdown.
 */
export async function startListeningApp(): Promise<{ t: TestApp; baseUrl: string }> {
  const t = await startTestApp({
    PROCESSES_DIR: join(__dirname, '..', 'instances', 'fixtures'),
    JOB_ACTIVATION_MAX_WAIT_MS: '2000',
  });
  const server = t.app.getHttpServer() as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { t, baseUrl: `http://127.0.0.1:${port}` };
}
