/**
 * Shape c's HTTP client in a process of its own: the role users' ReleaseDriver (fetch, JSON, polling) files
 * standard releases and works them through the API. Kept out of the bench's process so that, in the single
 * run, that process's CPU and event loop are the service's alone. The bench forks it (dist/bench/release-client.js)
 * and talks over the IPC channel, one request at a time:
 *
 *   { cmd: 'warm-up', apiUrls, tokens, releases }  → { cmd: 'warmed-up' }
 *   { cmd: 'measure', releases, concurrency }      → { cmd: 'measured', ids, latencies, wallMs, userTasks, cpuMs }
 *   anything failing                               → { cmd: 'failed', error }, then the process exits
 *
 * It exits when the bench closes the channel (done, failed or interrupted), so it never outlives the bench.
 */
import { ReleaseDriver, STANDARD_HAPPY_PATH, type Release } from '../test/support/release-driver.js';
import type { Tokens } from '../test/support/users.js';
import { now, pool } from './stats.js';

export type ClientRequest =
  | { cmd: 'warm-up'; apiUrls: readonly string[]; tokens: Tokens; releases: number }
  | { cmd: 'measure'; releases: number; concurrency: number };

export type ClientReply =
  | { cmd: 'warmed-up' }
  | {
      cmd: 'measured';
      /** Instance ids of the releases, in the order they closed. */
      ids: string[];
      latencies: number[];
      wallMs: number;
      /** User tasks completed over the measured releases. */
      userTasks: number;
      /** This client's own CPU over the measured releases. */
      cpuMs: number;
    }
  | { cmd: 'failed'; error: string };

/** Files a standard release and takes it through every person's step to its end; resolves with its latency. */
async function oneRelease(driver: ReleaseDriver): Promise<{ release: Release; ms: number }> {
  const t0 = now();
  const release = await driver.file('standard');
  for (const [elementId, data] of STANDARD_HAPPY_PATH) await driver.step(release.id, elementId, data);
  const { release: ended } = await driver.waitForEnd(release.id);
  if (ended.status !== 'closed') throw new Error(`release ${release.number} ended ${ended.status}`);
  return { release, ms: now() - t0 };
}

let drivers: ReleaseDriver[] = [];

async function handle(request: ClientRequest): Promise<ClientReply> {
  if (request.cmd === 'warm-up') {
    drivers = request.apiUrls.map((url) => new ReleaseDriver(url, request.tokens));
    // Also fills each driver's form cache, so the measured steps ask only what a person's client would.
    await pool(Math.max(request.releases, drivers.length), drivers.length, async (i) => {
      await oneRelease(drivers[i % drivers.length]!);
    });
    return { cmd: 'warmed-up' };
  }
  if (drivers.length === 0) throw new Error('measure before warm-up');
  const ids: string[] = [];
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await pool(request.releases, request.concurrency, async (i) => {
    const { release, ms } = await oneRelease(drivers[i % drivers.length]!);
    ids.push(release.instanceId);
    latencies.push(ms);
  });
  const wallMs = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    cmd: 'measured',
    ids,
    latencies,
    wallMs,
    userTasks: request.releases * STANDARD_HAPPY_PATH.length,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

if (typeof process.send !== 'function') {
  console.error('release-client runs as a child of the bench (child_process.fork), with an IPC channel');
  process.exit(2);
}
const send = (reply: ClientReply) =>
  new Promise<void>((done) => process.send!(reply, undefined, undefined, () => done()));
process.on('message', (request: ClientRequest) => {
  handle(request).then(send, async (err: unknown) => {
    await send({ cmd: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  });
});
// The bench closed the channel: it is done with this client, or it ended (finished, failed or interrupted).
process.on('disconnect', () => process.exit(0));
