import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PROJECT_ROOT, testEnv } from './test-app';
import { eventually, withTestDatabase, type TestResources } from './test-env';

/** The built service (`npm run build`) as a real child process, for crash and concurrency tests. */
export interface ChildService {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Resolves with the signal or exit code once the process has gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Ports for child processes come from below the kernel's ephemeral range (32768-60999 on Linux), at random:
 * a port the kernel handed out for listen(0) could go, before the child binds it, to the next outgoing
 * connection or to another file's listen(0), and test files run side by side.
 */
const CHILD_PORTS = { from: 20_000, to: 32_767 };

/**
 * How long a child may take to start. One takes 4-5 s of CPU (mostly loading its modules); a test that starts
 * several at once while other files load both cores waits much longer than that.
 */
const START_TIMEOUT_MS = 90_000;

/**
 * Every child still running. A test that fails or times out while a child is starting has not got it yet, so
 * cannot stop it: this file's end does, so that no child outlives it (nor holds its jest worker open).
 */
const running = new Set<ChildProcess>();
if (typeof afterAll === 'function') {
  afterAll(async () => {
    await Promise.all(
      [...running].map(
        (child) =>
          new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            if (!child.kill('SIGKILL')) resolve();
          }),
      ),
    );
  });
}

/** A port nothing listens on now, for a child process to take. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; ; attempt += 1) {
    const port = CHILD_PORTS.from + Math.floor(Math.random() * (CHILD_PORTS.to - CHILD_PORTS.from + 1));
    if (await canListen(port)) return port;
    if (attempt === 50) throw new Error(`no free port between ${CHILD_PORTS.from} and ${CHILD_PORTS.to}`);
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

export async function spawnService(
  resources: TestResources,
  { entry = 'main', env = {} }: { entry?: 'main' | 'worker'; env?: Record<string, string> } = {},
): Promise<ChildService> {
  const port = await freePort();
  return withTestDatabase(resources, () => start(resources, entry, env, port));
}

async function start(
  resources: TestResources,
  entry: 'main' | 'worker',
  env: Record<string, string>,
  port: number,
): Promise<ChildService> {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'dist', 'src', `${entry}.js`)], {
    cwd: PROJECT_ROOT,
    // Info level: a worker says it is running only there.
    env: {
      PATH: process.env.PATH ?? '',
      ...testEnv(resources, { PORT: String(port), LOG_LEVEL: 'info', ...env }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const service: ChildService = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    exited,
    output: () => output,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  try {
    await waitUntilStarted();
  } catch (err) {
    // A child that never came up must not outlive the test.
    await service.kill();
    throw err;
  }
  return service;

  async function waitUntilStarted(): Promise<void> {
    if (entry === 'main') {
      await eventually(
        async () => {
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`service exited:\n${output}`);
          // Its own line first: whatever else answers on the port is not this child.
          if (!output.includes(`listening on port ${port}`)) return false;
          const response = await fetch(`${service.url}/health/ready`).catch(() => undefined);
          return response?.ok;
        },
        { timeoutMs: START_TIMEOUT_MS, intervalMs: 100, what: 'the child service to be ready' },
      );
    } else {
      await eventually(async () => output.includes('workers running'), {
        timeoutMs: START_TIMEOUT_MS,
        intervalMs: 100,
        what: 'the child worker to start',
      });
    }
  }
}
