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

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
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
          const response = await fetch(`${service.url}/health/ready`).catch(() => undefined);
          return response?.ok;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: 'the child service to be ready' },
      );
    } else {
      await eventually(async () => output.includes('workers running'), {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: 'the child worker to start',
      });
    }
  }
}
