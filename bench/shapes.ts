/**
 * The measured shapes, each run on a deployment (single process or scale-out) and costed per instance:
 *   a: one service task         b: ten sequential service tasks
 *   c: the standard release flow, filed and worked through the HTTP API by its role users with valid forms, from a
 *      client in a child process of its own (release-client.ts)
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Tokens } from '../test/support/users.js';
import type { Deployment } from './deployments.js';
import { diffCounters, type Counters } from './instrument.js';
import type { ClientReply, ClientRequest } from './release-client.js';
import { Limiter, now, pool, sleep, summarize, type Summary } from './stats.js';

export const SERVICE_SHAPES = {
  a: { processKey: 'bench-one-task', serviceTasks: 1 },
  b: { processKey: 'bench-ten-tasks', serviceTasks: 10 },
} as const;
export type ServiceShape = keyof typeof SERVICE_SHAPES;

/** How often the bench looks for completed instances; part of every start-to-end latency. */
export const POLL_MS = 20;
const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

export interface ShapeFigures {
  readonly shape: string;
  readonly deployment: string;
  /** Instances (shapes a, b) or releases (shape c). */
  readonly instances: number;
  readonly wallMs: number;
  readonly perSecond: number;
  readonly userTasksPerSecond: number | null;
  readonly latency: Summary;
  readonly cost: Counters;
  readonly postgresCpuMs: number | null;
  readonly storedBytes: Record<string, number>;
  readonly maxRssBytesByProcess: number[];
  readonly ids: string[];
  /** Node CPU ms of the client in its own process (shape c), not part of `cost`. */
  readonly clientCpuMs?: number;
}

interface RunResult {
  ids: string[];
  latencies: number[];
  wallMs: number;
  userTasks?: number;
}

/** CPU ms (user + system) of each process, by pid; a pid that is gone is left out. */
function cpuMsOf(pids: readonly number[]): Map<number, number> {
  const result = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // after "pid (comm) ": field 3 (state) is index 0, utime (field 14) index 11, stime (field 15) index 12
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      result.set(pid, (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS);
    } catch {
      // not on this machine's /proc (remote server) or ended
    }
  }
  return result;
}

export async function backendPids(client: pg.Client): Promise<number[]> {
  const result = await client.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  return result.rows.map((r) => r.pid);
}

/** Row bytes (pg_column_size of whole rows, no indexes) the instances left, by table. */
async function storedBytes(client: pg.Client, ids: readonly string[]): Promise<Record<string, number>> {
  const byInstance = (table: string) =>
    `SELECT '${table}' AS t, coalesce(sum(pg_column_size(x.*)), 0)::float AS bytes FROM ${table} x WHERE x.instance_id = ANY($1::uuid[])`;
  const byRelease = (table: string) =>
    `SELECT '${table}' AS t, coalesce(sum(pg_column_size(x.*)), 0)::float AS bytes FROM ${table} x
      WHERE x.release_id IN (SELECT id FROM release WHERE instance_id = ANY($1::uuid[]))`;
  const sql = [
    `SELECT 'process_instance' AS t, coalesce(sum(pg_column_size(x.*)), 0)::float AS bytes FROM process_instance x WHERE x.id = ANY($1::uuid[])`,
    byInstance('history_event'),
    byInstance('job'),
    `SELECT 'outbox' AS t, coalesce(sum(pg_column_size(x.*)), 0)::float AS bytes FROM outbox x
      WHERE x.job_id IN (SELECT id FROM job WHERE instance_id = ANY($1::uuid[]))`,
    byInstance('job_effect'),
    byInstance('user_task'),
    byInstance('incident'),
    byInstance('release'),
    byRelease('release_report'),
    byRelease('cmdb_item_version'),
    byRelease('outbound_delivery'),
  ].join('\nUNION ALL\n');
  const rows = (await client.query<{ t: string; bytes: number }>(sql, [ids])).rows;
  return Object.fromEntries(rows.filter((r) => r.bytes > 0).map((r) => [r.t, r.bytes]));
}

/** Runs `work` on the deployment and costs it: counters, PostgreSQL CPU, stored bytes, RSS. */
async function measured(
  shape: string,
  deployment: Deployment,
  client: pg.Client,
  work: () => Promise<RunResult>,
): Promise<ShapeFigures> {
  const pids0 = await backendPids(client);
  const pgCpu0 = cpuMsOf(pids0);
  const before = await deployment.counters();
  await deployment.countersByProcess(); // starts each process's RSS peak afresh
  const run = await work();
  const byProcess = await deployment.countersByProcess();
  const after = await deployment.counters();
  const pids1 = [...new Set([...pids0, ...(await backendPids(client))])];
  const pgCpu1 = cpuMsOf(pids1);
  const postgresCpuMs =
    pgCpu1.size > 0
      ? // a backend that ended in between (pool idle timeout) counts 0, not minus its earlier total
        pids1.reduce(
          (sum, pid) => sum + (pgCpu1.get(pid) ?? pgCpu0.get(pid) ?? 0) - (pgCpu0.get(pid) ?? 0),
          0,
        )
      : null;
  return {
    shape,
    deployment: deployment.name,
    instances: run.ids.length,
    wallMs: run.wallMs,
    perSecond: (run.ids.length / run.wallMs) * 1000,
    userTasksPerSecond: run.userTasks === undefined ? null : (run.userTasks / run.wallMs) * 1000,
    latency: summarize(run.latencies),
    cost: diffCounters(before, after),
    postgresCpuMs,
    storedBytes: await storedBytes(client, run.ids),
    maxRssBytesByProcess: byProcess.map((c) => c.maxRssBytes),
    ids: run.ids,
  };
}

/** Detects completed instances with one query per tick over the ids still waiting. */
export class CompletionWatcher {
  private readonly waiting = new Map<string, (detectedAt: number) => void>();
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly client: pg.Client) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** Resolves with performance.now() of the poll that saw the instance completed. */
  completed(id: string): Promise<number> {
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.waiting.size > 0) {
        const ids = [...this.waiting.keys()];
        const result = await this.client.query<{ id: string }>(
          `SELECT id FROM process_instance WHERE id = ANY($1::uuid[]) AND status = 'completed'`,
          [ids],
        );
        const detectedAt = now();
        for (const { id } of result.rows) {
          this.waiting.get(id)?.(detectedAt);
          this.waiting.delete(id);
        }
      }
      await sleep(POLL_MS);
    }
  }
}

export class StallError extends Error {}
/** Long enough for a ten-task instance on a loaded machine; a stuck pool or queue still shows within it. */
const STALL_MS = 120_000;

export interface DurableSample {
  id: string;
  calledAt: number;
  calledEpoch: number;
  committedEpoch: number;
  latencyMs: number;
  detectedEpoch: number;
}

/**
 * `count` instances, `concurrency` in flight (started, not yet seen completed), at most `startLimit` of them
 * inside start(): start() can need a second pool connection while its transaction holds one, so as many
 * concurrent start() calls as the pool has connections can deadlock the pool (seen on commit f5402b7).
 */
export async function runInstances(
  deployment: Deployment,
  watcher: CompletionWatcher,
  processKey: string,
  count: number,
  concurrency: number,
  startLimit: number,
  offset: number,
): Promise<{ samples: DurableSample[]; wallMs: number }> {
  const samples: DurableSample[] = [];
  const starts = new Limiter(startLimit);
  let lastProgress = now();
  let stallTimer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    stallTimer = setInterval(() => {
      if (now() - lastProgress < STALL_MS) return;
      clearInterval(stallTimer);
      reject(new StallError(`${processKey}: no instance started or completed for ${STALL_MS / 1000} s`));
    }, 500);
  });
  const t0 = now();
  const work = pool(count, concurrency, async (i) => {
    const { id, calledAt, calledEpoch } = await starts.run(async () => {
      const calledAt = now();
      const calledEpoch = performance.timeOrigin + calledAt;
      const id = await deployment.start(processKey, { bench: true, seq: offset + i });
      return { id, calledAt, calledEpoch };
    });
    const committedEpoch = performance.timeOrigin + now();
    lastProgress = now();
    const detectedAt = await watcher.completed(id);
    lastProgress = now();
    samples.push({
      id,
      calledAt,
      calledEpoch,
      committedEpoch,
      latencyMs: detectedAt - calledAt,
      detectedEpoch: performance.timeOrigin + detectedAt,
    });
  });
  try {
    await Promise.race([work, stalled]);
  } finally {
    clearInterval(stallTimer);
  }
  return { samples, wallMs: now() - t0 };
}

export async function measureServiceShape(
  shape: ServiceShape,
  deployment: Deployment,
  client: pg.Client,
  watcher: CompletionWatcher,
  sizes: { instances: number; warmup: number; concurrency: number; startLimit: number },
): Promise<ShapeFigures & { samples: DurableSample[] }> {
  const { processKey } = SERVICE_SHAPES[shape];
  const { instances, warmup, concurrency, startLimit } = sizes;
  await runInstances(deployment, watcher, processKey, warmup, concurrency, startLimit, -warmup);
  let samples: DurableSample[] = [];
  const figures = await measured(shape, deployment, client, async () => {
    const run = await runInstances(deployment, watcher, processKey, instances, concurrency, startLimit, 0);
    samples = run.samples;
    return {
      ids: run.samples.map((s) => s.id),
      latencies: run.samples.map((s) => s.latencyMs),
      wallMs: run.wallMs,
    };
  });
  return { ...figures, samples };
}

/**
 * The release client of shape c: a child process (release-client.ts) so the bench's process counts only the
 * service. One request at a time; a client that exits or fails rejects what is pending.
 */
class ReleaseClient {
  private pending: { done(reply: ClientReply): void; fail(err: Error): void } | undefined;
  private exited = false;
  private readonly exit: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.exit = new Promise((done) =>
      child.once('exit', (code, signal) => {
        this.exited = true;
        this.pending?.fail(new Error(`the release client exited (${signal ?? `code ${code}`})`));
        this.pending = undefined;
        done();
      }),
    );
    child.on('message', (reply: ClientReply) => {
      const pending = this.pending;
      this.pending = undefined;
      if (reply.cmd === 'failed') pending?.fail(new Error(`the release client failed: ${reply.error}`));
      else pending?.done(reply);
    });
  }

  static start(): ReleaseClient {
    // Its stdout and stderr are the bench's: a failure shows where it happened.
    return new ReleaseClient(fork(join(__dirname, 'release-client.js'), [], { stdio: 'inherit' }));
  }

  async ask<C extends ClientReply['cmd']>(
    request: ClientRequest,
    expected: C,
  ): Promise<Extract<ClientReply, { cmd: C }>> {
    if (this.exited) throw new Error('the release client has exited');
    const reply = await new Promise<ClientReply>((done, fail) => {
      this.pending = { done, fail };
      this.child.send(request);
    });
    if (reply.cmd !== expected) throw new Error(`the release client answered ${reply.cmd}, not ${expected}`);
    return reply as Extract<ClientReply, { cmd: C }>;
  }

  /** Closing the channel ends the client; one that does not end in time is killed. */
  async close(): Promise<void> {
    if (this.exited) return;
    if (this.child.connected) this.child.disconnect();
    const ended = await Promise.race([this.exit.then(() => true), sleep(5_000).then(() => false)]);
    if (!ended) {
      this.child.kill('SIGKILL');
      await this.exit;
    }
  }
}

/**
 * Shape c: `count` releases, `concurrency` at once, spread over the deployment's API processes, filed and worked
 * by a client in a child process of its own.
 */
export async function measureReleaseShape(
  deployment: Deployment,
  client: pg.Client,
  tokens: Tokens,
  sizes: { releases: number; warmup: number; concurrency: number },
): Promise<ShapeFigures> {
  const releaseClient = ReleaseClient.start();
  try {
    await releaseClient.ask(
      { cmd: 'warm-up', apiUrls: deployment.apiUrls, tokens, releases: sizes.warmup },
      'warmed-up',
    );
    let clientCpuMs = NaN;
    const figures = await measured('c', deployment, client, async () => {
      const run = await releaseClient.ask(
        { cmd: 'measure', releases: sizes.releases, concurrency: sizes.concurrency },
        'measured',
      );
      clientCpuMs = run.cpuMs;
      return run;
    });
    return { ...figures, clientCpuMs };
  } finally {
    await releaseClient.close();
  }
}
