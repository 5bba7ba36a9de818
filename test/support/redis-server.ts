import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeRedis } from '../../src/platform/embedded/child-redis';
import { freePort } from './child-service';
import { eventually } from './test-env';

/**
 * A redis-server of the test's own on a free loopback port, for tests that kill Redis (the machine's Redis on
 * 6379 is shared and never stopped). Every write is fsynced to its append-only file, so a SIGKILL loses nothing
 * BullMQ was told had been stored, and a restart on the same port and directory comes back with every job.
 */
export class TestRedisServer {
  private process: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedisServer> {
    const server = new TestRedisServer(await freePort(), await mkdtemp(join(tmpdir(), 'test-redis-')));
    await server.restart();
    return server;
  }

  /** Start it again (after kill) on the same port and data. */
  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--bind',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    this.process = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    await eventually(async () => (await probeRedis(this.url)) === 'ok', {
      timeoutMs: 10_000,
      what: `redis-server on port ${this.port} to answer`,
    });
  }

  /** The server process is there (not killed, not exited). */
  get running(): boolean {
    return !!this.process && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** SIGSTOP: Redis stops answering but keeps its connections open, as a hung server does. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
  }

  /** SIGKILL by default: Redis gone at once, as in a crash. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await this.exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}
