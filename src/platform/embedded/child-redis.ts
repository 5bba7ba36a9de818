import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { Redis } from 'ioredis';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

/** How Redis at a URL answered a PING: `refused` means nothing listens there. */
export async function probeRedis(url: string): Promise<'ok' | 'refused' | 'other'> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 1500,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  let refused = false;
  redis.on('error', (err: NodeJS.ErrnoException) => (refused ||= err.code === 'ECONNREFUSED'));
  try {
    await redis.connect();
    await redis.ping();
    return 'ok';
  } catch {
    // connect() rejects with "Connection is closed."; the cause came as an error event.
    return refused ? 'refused' : 'other';
  } finally {
    // A refused client has ended; disconnecting it anyway arms ioredis' 2 s timer on its dead socket.
    if (redis.status !== 'end') redis.disconnect();
  }
}

/** The absolute path of an executable found on PATH, or undefined. */
export function findOnPath(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Whether the service may run its own redis-server for this URL: plain redis:// on this machine only. */
export function canRunLocally(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'redis:' && LOOPBACK_HOSTS.has(parsed.hostname);
}

/**
 * A redis-server run by the service for a loopback REDIS_URL where nothing answered: bound to loopback, on the
 * URL's port, AOF persistence in `dataDir`. Stopped with the service; on Linux it is started through
 * `setpriv --pdeathsig SIGTERM` so the kernel stops it even when the service is killed outright.
 */
export class ChildRedis {
  private output = '';
  private gone = false;
  private stopping = false;
  /** Resolves when the process has ended; `expected` is false when it ended without stop(). */
  readonly exited: Promise<{ expected: boolean; output: string }>;

  private constructor(private readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((done) => {
      const end = (err?: unknown) => {
        if (err instanceof Error) keep(Buffer.from(err.message));
        this.gone = true;
        done({ expected: this.stopping, output: this.output });
      };
      child.once('exit', () => end());
      child.once('error', end);
    });
    // A crash or process.exit() of the service (no graceful stop) still takes the child along.
    const onExit = () => child.kill('SIGTERM');
    process.once('exit', onExit);
    void this.exited.then(() => process.removeListener('exit', onExit));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(binary: string, url: string, dataDir: string): Promise<ChildRedis> {
    const parsed = new URL(url);
    const dir = resolve(dataDir);
    await mkdir(dir, { recursive: true });
    const bind = parsed.hostname === '127.0.0.1' ? '127.0.0.1' : '127.0.0.1 -::1';
    const args = [
      '--bind',
      bind,
      '--port',
      parsed.port || '6379',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--save',
      '',
      '--daemonize',
      'no',
      '--maxmemory-policy',
      'noeviction',
      ...(parsed.password ? ['--requirepass', decodeURIComponent(parsed.password)] : []),
    ];
    const setpriv = process.platform === 'linux' ? findOnPath('setpriv') : undefined;
    // Its own process group: Ctrl-C in a terminal reaches the service only, which stops Redis after its queues.
    const options: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'], detached: true };
    const child = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'SIGTERM', '--', binary, ...args], options)
      : spawn(binary, args, options);
    const redis = new ChildRedis(child);

    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline && !redis.gone) {
      if ((await probeRedis(url)) === 'ok') return redis;
      await new Promise((done) => setTimeout(done, 100));
    }
    await redis.stop();
    throw new Error(`redis-server (${binary}) did not start:\n${redis.output.trim()}`);
  }

  /** SIGTERM (Redis flushes its AOF and exits); SIGKILL if it has not gone within a few seconds. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.gone) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      new Promise<boolean>((done) => (timer = setTimeout(() => done(true), STOP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}
