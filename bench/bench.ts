/**
 * Throughput and latency of the durable path (PostgreSQL state + outbox + BullMQ + in-process workers) against
 * the same one-service-task process run in memory. Prints figures; it is not a test.
 *
 *   npm run bench                          # default N
 *   npm run bench -- --instances 200 --concurrency 16
 *   BENCH_INSTANCES=200 npm run bench
 *
 * Everything it creates (database release_bench_<random>, Redis keys bench-<random>:*) is removed at the end.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as Elements from 'bpmn-elements';
import { Engine } from 'bpmn-engine';
import { BpmnModdle } from 'bpmn-moddle';
import { Redis } from 'ioredis';
import serializer, { TypeResolver } from 'moddle-context-serializer';
import pg from 'pg';
import { DataSource } from 'typeorm';
import zeebe from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { AppModule } from '../src/app.module.js';
import { loadConfig } from '../src/config/app-config.js';
import { EngineHost } from '../src/engine/engine-host.js';
import { compileProcess, type CompiledProcess } from '../src/engine/process-model.js';
import { InstanceService } from '../src/instances/instance.service.js';

const PROCESS_KEY = 'bench-one-task';
const FIXTURES_DIR = resolve(__dirname, '../../bench/fixtures');
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const POLL_MS = 20;

// ---------------------------------------------------------------------------------------------------------
// Options

interface Options {
  readonly instances: number;
  readonly concurrency: number;
  readonly warmup: number;
  readonly workerConcurrency: number;
  readonly outboxPollMs: number;
  /** start() calls in flight at once; 0 = min(concurrency, pool max - 1). See runDurable. */
  readonly startLimit: number;
  /** CPU-profile this process during the measured durable run (slows it down). */
  readonly profile: boolean;
}

function options(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i >= 0) return argv[i + 1];
    const eq = argv.find((a) => a.startsWith(`--${name}=`));
    return eq?.slice(name.length + 3);
  };
  const int = (name: string, envName: string, fallback: number, min: number): number => {
    const raw = arg(name) ?? env[envName];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`--${name} / ${envName} must be an integer >= ${min}`);
    return value;
  };
  return {
    instances: int('instances', 'BENCH_INSTANCES', 500, 1),
    concurrency: int('concurrency', 'BENCH_CONCURRENCY', 16, 1),
    warmup: int('warmup', 'BENCH_WARMUP', 20, 0),
    workerConcurrency: int('worker-concurrency', 'BENCH_WORKER_CONCURRENCY', 8, 1),
    outboxPollMs: int('outbox-poll-ms', 'BENCH_OUTBOX_POLL_MS', 50, 10),
    startLimit: int('start-limit', 'BENCH_START_LIMIT', 0, 0),
    profile: argv.includes('--profile') || /^(1|true|yes)$/i.test(env.BENCH_PROFILE ?? ''),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Small helpers

const now = (): number => performance.now();
/** Epoch milliseconds with sub-millisecond precision, comparable with PostgreSQL timestamps on this host. */
const epochNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const pick = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN;
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  return {
    n: sorted.length,
    mean,
    p50: pick(0.5),
    p90: pick(0.9),
    p99: pick(0.99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

const fmt = (v: number, digits = 2): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const round = (v: number, digits = 3): number => Number(v.toFixed(digits));

/** Run `count` tasks with at most `limit` in flight. */
async function pool(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
}

function table(title: string, head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [`\n${title}`, line(head), rule, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// Resource accounting: CPU of the bench database's backends (from /proc), SQL statements, pool waits and Redis
// commands of this process. Other work on the machine (tests sharing PostgreSQL and Redis) stays out of these.

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

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

async function backendPids(client: pg.Client): Promise<number[]> {
  const result = await client.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  return result.rows.map((r) => r.pid);
}

/** Counts the app's SQL statements; the bench's own clients are left out. */
const pgCounter = { enabled: false, queries: 0, queryMs: 0, byStatement: new Map<string, number>() };

/** The statement's shape: verb and table, e.g. "INSERT INTO history_event", "SELECT ... FROM job". */
function statementKind(sql: unknown): string {
  const text = typeof sql === 'string' ? sql : ((sql as { text?: unknown } | null)?.text ?? '');
  const flat = String(text).replace(/\s+/g, ' ').replace(/"/g, '').trim();
  const verb = (/^\w+/.exec(flat)?.[0] ?? '?').toUpperCase();
  const table =
    /^(?:INSERT INTO|UPDATE|DELETE FROM) ([\w.]+)/i.exec(flat)?.[1] ?? /\bFROM ([\w.]+)/i.exec(flat)?.[1];
  const lock = /FOR UPDATE|FOR NO KEY UPDATE/i.test(flat) ? ' FOR UPDATE' : '';
  return table ? `${verb} ${table}${lock}` : flat.slice(0, 40);
}
const benchClients = new WeakSet<object>();

function countPgQueries(): void {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function countedQuery(this: object, ...args: unknown[]): unknown {
    const result = original.apply(this, args);
    if (pgCounter.enabled && !benchClients.has(this)) {
      pgCounter.queries += 1;
      const kind = statementKind(args[0]);
      pgCounter.byStatement.set(kind, (pgCounter.byStatement.get(kind) ?? 0) + 1);
      if (result && typeof (result as Promise<unknown>).then === 'function') {
        const t0 = now();
        (result as Promise<unknown>).then(
          () => (pgCounter.queryMs += now() - t0),
          () => (pgCounter.queryMs += now() - t0),
        );
      }
    }
    return result;
  };
}

interface PgPoolLike {
  connect: (...args: unknown[]) => unknown;
  waitingCount: number;
  totalCount: number;
  options?: { max?: number };
}

/** Time spent waiting for a connection of the app's pool (TypeORM asks with a callback). */
const poolCounter = {
  enabled: false,
  acquisitions: 0,
  waitMs: 0,
  waitingSamples: 0,
  waitingSum: 0,
  waitingMax: 0,
};

function instrumentPool(master: PgPoolLike): void {
  const original = master.connect.bind(master);
  master.connect = (...args: unknown[]) => {
    const callback = args[0];
    if (!poolCounter.enabled || typeof callback !== 'function') return original(...args);
    const t0 = now();
    return original((...cbArgs: unknown[]) => {
      poolCounter.acquisitions += 1;
      poolCounter.waitMs += now() - t0;
      (callback as (...a: unknown[]) => void)(...cbArgs);
    });
  };
}

/** Counts the Redis commands sent by this process (BullMQ queues and workers); the bench's own client is left out. */
const redisCounter = { enabled: false, byCommand: new Map<string, number>() };

function countRedisCommands(exclude: object): void {
  const proto = Redis.prototype as unknown as { sendCommand: (...args: unknown[]) => unknown };
  const original = proto.sendCommand;
  proto.sendCommand = function countedCommand(this: object, ...args: unknown[]): unknown {
    if (redisCounter.enabled && this !== exclude) {
      const name = String((args[0] as { name?: unknown } | undefined)?.name ?? '?');
      redisCounter.byCommand.set(name, (redisCounter.byCommand.get(name) ?? 0) + 1);
    }
    return original.apply(this, args);
  };
}

/** Commands the Redis server executed, by name, including those run inside BullMQ's Lua scripts (whole server). */
async function redisServerCommands(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const stats = new Map<string, number>();
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats.set(m[1]!, Number(m[2]));
  return stats;
}

/** used_cpu_sys + used_cpu_user of the Redis server in ms: the whole server, shared with anything else using it. */
async function redisServerCpuMs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (key: string) => Number(new RegExp(`^${key}:([\\d.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (value('used_cpu_sys') + value('used_cpu_user')) * 1000;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  hitCount?: number;
}

/** Where this process spends its CPU: self time of the V8 sampling profile, by package. */
async function startProfiler(): Promise<{ stop(file: string): Promise<string> }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file: string): Promise<string> {
      const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[] } };
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      const byPackage = new Map<string, number>();
      let total = 0;
      for (const node of profile.nodes) {
        const hits = node.hitCount ?? 0;
        if (hits === 0) continue;
        const url = node.callFrame.url;
        const pkg =
          /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ??
          (/\/dist\/(src|bench)\/(.+)\.js$/.exec(url)?.slice(1).join('/') ||
            (url.startsWith('node:')
              ? 'node internals'
              : node.callFrame.functionName.startsWith('(')
                ? node.callFrame.functionName
                : `native ${node.callFrame.functionName}`));
        byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + hits);
        total += hits;
      }
      const rows = [...byPackage]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 14)
        .map(([pkg, hits]) => [pkg, fmt((hits / total) * 100, 1)]);
      return `${table('CPU profile of this process during the measured durable run (self time)', ['where', '%'], rows)}\nprofile written to ${file} (open in Chrome DevTools)`;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// In-memory baselines

interface RunFigures {
  readonly instances: number;
  readonly wallMs: number;
  readonly perSecond: number;
  readonly latency: Summary;
  readonly cpuMsPerInstance: number;
}

async function measureSequential(
  count: number,
  warmup: number,
  once: (i: number) => Promise<void>,
): Promise<RunFigures> {
  for (let i = 0; i < warmup; i++) await once(-1 - i);
  const latencies: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = now();
  for (let i = 0; i < count; i++) {
    const s = now();
    await once(i);
    latencies.push(now() - s);
  }
  const wallMs = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    instances: count,
    wallMs,
    perSecond: (count / wallMs) * 1000,
    latency: summarize(latencies),
    cpuMsPerInstance: (cpu.user + cpu.system) / 1000 / count,
  };
}

/** The project's own engine host, both commands the durable path applies: start, then complete the service task. */
function engineHostOnce(host: EngineHost, compiled: CompiledProcess) {
  return async (i: number): Promise<void> => {
    const started = await host.run(compiled, null, { type: 'start', variables: { bench: true, seq: i } });
    const wait = started.waits[0];
    if (!wait || wait.kind !== 'service-task')
      throw new Error(`expected a service-task wait, got ${JSON.stringify(started.waits)}`);
    const done = await host.run(
      compiled,
      started.state,
      { type: 'complete', elementId: wait.elementId, executionId: wait.executionId, variables: {} },
      new Set([wait.executionId]),
    );
    if (!done.finished) throw new Error('the in-memory instance did not finish');
  };
}

/** Plain bpmn-engine: default service-task behaviour (dummy service, completes at once), one run, no state. */
async function plainEngineOnce(xml: string) {
  const parsed = await new BpmnModdle({ zeebe }).fromXML(xml);
  const sourceContext = serializer(parsed as never, TypeResolver({ ...Elements } as never));
  return async (i: number): Promise<void> => {
    const engine = new Engine({
      name: PROCESS_KEY,
      sourceContext,
      settings: { enableDummyService: true },
      variables: { bench: true, seq: i },
    } as never);
    const ended = engine.waitFor('end');
    await engine.execute();
    await ended;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Durable path

interface Resources {
  readonly databaseName: string;
  readonly databaseUrl: string;
  readonly queuePrefix: string;
  readonly scratchDir: string;
}

function newResources(): Resources {
  const suffix = randomBytes(5).toString('hex');
  const databaseName = `release_bench_${suffix}`;
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${databaseName}`;
  return {
    databaseName,
    databaseUrl: url.toString(),
    queuePrefix: `bench-${suffix}`,
    scratchDir: join(tmpdir(), databaseName),
  };
}

async function dropResources(resources: Resources): Promise<void> {
  rmSync(resources.scratchDir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  benchClients.add(client);
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${resources.databaseName}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  const redis = new Redis(REDIS_URL);
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${resources.queuePrefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  console.log(
    `cleanup: dropped database ${resources.databaseName}, deleted ${deleted} Redis keys ${resources.queuePrefix}:*`,
  );
}

/** Detects completed instances with one query per tick over the ids still waiting. */
class CompletionWatcher {
  private readonly waiting = new Map<string, (detectedAt: number) => void>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  polls = 0;

  constructor(
    private readonly client: pg.Client,
    private readonly sample: () => void,
  ) {}

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
      this.sample();
      if (this.waiting.size > 0) {
        const ids = [...this.waiting.keys()];
        const result = await this.client.query<{ id: string }>(
          `SELECT id FROM process_instance WHERE id = ANY($1::uuid[]) AND status = 'completed'`,
          [ids],
        );
        const detectedAt = now();
        this.polls += 1;
        for (const { id } of result.rows) {
          this.waiting.get(id)?.(detectedAt);
          this.waiting.delete(id);
        }
      }
      await sleep(POLL_MS);
    }
  }
}

interface DurableSample {
  id: string;
  calledAt: number; // performance.now()
  calledEpoch: number;
  committedEpoch: number; // start() resolved
  latencyMs: number; // start call → completion detected
  detectedEpoch: number;
}

/** A counting semaphore. */
class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.queue.shift()?.();
    }
  }
}

class StallError extends Error {}

const STALL_MS = 15_000;

/**
 * `concurrency` instances in flight (started, not yet seen completed), of which at most `startLimit` are
 * inside start(). The limit exists because start() can need a second pool connection while its transaction
 * holds one: with as many concurrent start() calls as the pool has connections, every connection holds an open
 * transaction waiting for another and nothing moves (seen on commit f5402b7). `onStall` is asked for a
 * diagnosis when nothing started or completed for STALL_MS.
 */
async function runDurable(
  count: number,
  concurrency: number,
  startLimit: number,
  instances: InstanceService,
  watcher: CompletionWatcher,
  offset: number,
  onStall: () => Promise<string>,
): Promise<{ samples: DurableSample[]; wallMs: number }> {
  const samples: DurableSample[] = [];
  const starts = new Limiter(startLimit);
  let lastProgress = now();
  let stallTimer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    stallTimer = setInterval(() => {
      if (now() - lastProgress < STALL_MS) return;
      clearInterval(stallTimer);
      onStall().then(
        (diagnosis) => reject(new StallError(`no progress for ${STALL_MS / 1000} s: ${diagnosis}`)),
        (err: unknown) => reject(new StallError(`no progress for ${STALL_MS / 1000} s (${String(err)})`)),
      );
    }, 500);
  });
  const t0 = now();
  const work = pool(count, concurrency, async (i) => {
    const { instance, calledAt, calledEpoch } = await starts.run(async () => {
      const calledAt = now();
      const calledEpoch = epochNow();
      const instance = await instances.start(PROCESS_KEY, { bench: true, seq: offset + i });
      return { instance, calledAt, calledEpoch };
    });
    const committedEpoch = epochNow();
    lastProgress = now();
    const detectedAt = await watcher.completed(instance.id);
    lastProgress = now();
    samples.push({
      id: instance.id,
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

interface PhaseRow {
  id: string;
  started: number;
  ended: number;
  relayed: number | null;
  effect: number | null;
  job_completed: number | null;
}

async function phases(client: pg.Client, samples: readonly DurableSample[]) {
  const rows = (
    await client.query<PhaseRow>(
      `SELECT i.id,
              extract(epoch FROM i.started_at) * 1000 AS started,
              extract(epoch FROM i.ended_at) * 1000 AS ended,
              (SELECT extract(epoch FROM max(o.relayed_at)) * 1000 FROM outbox o JOIN job j ON j.id = o.job_id
                WHERE j.instance_id = i.id) AS relayed,
              (SELECT extract(epoch FROM max(e.created_at)) * 1000 FROM job_effect e WHERE e.instance_id = i.id) AS effect,
              (SELECT extract(epoch FROM max(h.created_at)) * 1000 FROM history_event h
                WHERE h.instance_id = i.id AND h.type = 'job.completed') AS job_completed
         FROM process_instance i WHERE i.id = ANY($1::uuid[])`,
      [samples.map((s) => s.id)],
    )
  ).rows;
  const byId = new Map(rows.map((r) => [r.id, r]));
  const startTx: number[] = [];
  const toRelay: number[] = [];
  const toHandler: number[] = [];
  const toCompleted: number[] = [];
  const toDetected: number[] = [];
  const dbLatency: number[] = [];
  for (const s of samples) {
    const r = byId.get(s.id);
    if (!r || r.relayed === null || r.effect === null) continue;
    const [started, ended, relayed, effect] = [
      Number(r.started),
      Number(r.ended),
      Number(r.relayed),
      Number(r.effect),
    ];
    startTx.push(s.committedEpoch - s.calledEpoch);
    toRelay.push(relayed - s.committedEpoch);
    toHandler.push(effect - relayed);
    toCompleted.push(ended - effect);
    toDetected.push(s.detectedEpoch - ended);
    dbLatency.push(ended - started);
  }
  return {
    startTx: summarize(startTx),
    toRelay: summarize(toRelay),
    toHandler: summarize(toHandler),
    toCompleted: summarize(toCompleted),
    toDetected: summarize(toDetected),
    dbLatency: summarize(dbLatency),
  };
}

async function storedSizes(client: pg.Client) {
  const one = async <T extends pg.QueryResultRow>(sql: string): Promise<T> => {
    const row = (await client.query<T>(sql)).rows[0];
    if (!row) throw new Error(`no row from ${sql}`);
    return row;
  };
  const state = await one<{
    n: number;
    avg_col: number;
    max_col: number;
    avg_text: number;
    max_text: number;
    avg_vars: number;
    with_source: number;
  }>(
    `SELECT count(*)::int AS n,
            avg(pg_column_size(engine_state))::float AS avg_col, max(pg_column_size(engine_state))::int AS max_col,
            avg(length(engine_state::text))::float AS avg_text, max(length(engine_state::text))::int AS max_text,
            avg(pg_column_size(variables))::float AS avg_vars,
            count(*) FILTER (WHERE engine_state::text LIKE '%"source"%')::int AS with_source
       FROM process_instance WHERE status = 'completed'`,
  );
  const definition = await one<{ versions: number; xml_chars: number; xml_stored: number }>(
    `SELECT count(*)::int AS versions, max(length(xml))::int AS xml_chars, max(pg_column_size(xml))::int AS xml_stored
       FROM process_definition WHERE process_key = '${PROCESS_KEY}'`,
  );
  const rows = await one<{
    instances: number;
    history: number;
    history_bytes: number;
    jobs: number;
    outbox: number;
    effects: number;
  }>(
    `SELECT (SELECT count(*) FROM process_instance)::int AS instances,
            (SELECT count(*) FROM history_event)::int AS history,
            (SELECT coalesce(sum(pg_column_size(h.*)), 0) FROM history_event h)::float AS history_bytes,
            (SELECT count(*) FROM job)::int AS jobs,
            (SELECT count(*) FROM outbox)::int AS outbox,
            (SELECT count(*) FROM job_effect)::int AS effects`,
  );
  const tables = (
    await client.query<{ table: string; bytes: number }>(
      `SELECT relname AS table, pg_total_relation_size(c.oid)::float AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND relname IN ('process_instance', 'history_event', 'job', 'outbox', 'job_effect')
        ORDER BY bytes DESC`,
    )
  ).rows;
  return { state, definition, rows, tables };
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2), process.env);
  const xml = readFileSync(join(FIXTURES_DIR, `${PROCESS_KEY}.bpmn`), 'utf8');
  console.log(
    `bench: ${opts.instances} instances of ${PROCESS_KEY} (start → service task "notify" → end), ` +
      `${opts.concurrency} in flight, warm-up ${opts.warmup}, worker concurrency ${opts.workerConcurrency}, ` +
      `outbox poll ${opts.outboxPollMs} ms, completion poll ${POLL_MS} ms; node ${process.version}`,
  );
  const [load1] = loadavg();
  if ((load1 ?? 0) > 0.5 * availableParallelism()) {
    console.log(
      `warning: load average ${fmt(load1 ?? NaN)} on ${availableParallelism()} cores before the run: ` +
        'other work on this machine will skew the figures',
    );
  }

  // 1. In memory, before the app boots so its pollers do not disturb the figures.
  const compiled = await compileProcess(xml);
  const host = new EngineHost();
  const hostFigures = await measureSequential(opts.instances, opts.warmup, engineHostOnce(host, compiled));
  const plainFigures = await measureSequential(opts.instances, opts.warmup, await plainEngineOnce(xml));

  // 2. Durable: the whole service in this process on a fresh database and queue prefix.
  const resources = newResources();
  countPgQueries();
  // An explicit environment, not process.env: no SMTP or webhook is configured, so `notify` sends nothing.
  const config = loadConfig({
    DATABASE_URL: resources.databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: resources.queuePrefix,
    PROCESSES_DIR: FIXTURES_DIR,
    RUN_WORKERS: 'true',
    WORKER_CONCURRENCY: String(opts.workerConcurrency),
    OUTBOX_POLL_MS: String(opts.outboxPollMs),
    JOB_BACKOFF_MS: '20',
    LOG_LEVEL: 'warn',
    // Set so the boot neither warns about a per-process key nor prints a generated admin password.
    JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_PASSWORD: randomBytes(12).toString('hex'),
    // Keep anything the service writes to disk out of the checkout.
    PSL_DIR: resources.scratchDir,
  });

  let app: INestApplicationContext | undefined;
  const client = new pg.Client({ connectionString: resources.databaseUrl });
  benchClients.add(client);
  let clientConnected = false;
  const redis = new Redis(REDIS_URL);
  countRedisCommands(redis);
  let stalled = false;
  try {
    const bootStart = now();
    app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
      logger: ['error', 'warn'],
    });
    const bootMs = now() - bootStart;
    const instances = app.get(InstanceService);
    const dataSource = app.get(DataSource);
    const master = (dataSource.driver as unknown as { master: PgPoolLike }).master;
    instrumentPool(master);
    await client.connect();
    clientConnected = true;

    const poolMax = master.options?.max ?? 10;
    const startLimit =
      opts.startLimit > 0 ? opts.startLimit : Math.max(1, Math.min(opts.concurrency, poolMax - 1));
    console.log(
      `service booted in ${fmt(bootMs, 0)} ms; pool max ${poolMax}; start() calls in flight at most ${startLimit}`,
    );
    const diagnose = async (): Promise<string> => {
      const activity = await client.query<{ state: string; query: string; n: number }>(
        `SELECT state, left(query, 60) AS query, count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() GROUP BY 1, 2 ORDER BY 3 DESC`,
      );
      return (
        `pool total ${master.totalCount}, waiting ${master.waitingCount}; sessions: ` +
        activity.rows.map((r) => `${r.n}x ${r.state} "${r.query}"`).join(', ')
      );
    };

    const watcher = new CompletionWatcher(client, () => {
      if (!poolCounter.enabled) return;
      poolCounter.waitingSamples += 1;
      poolCounter.waitingSum += master.waitingCount;
      poolCounter.waitingMax = Math.max(poolCounter.waitingMax, master.waitingCount);
    });
    watcher.start();

    await runDurable(opts.warmup, opts.concurrency, startLimit, instances, watcher, -opts.warmup, diagnose);

    const pids0 = await backendPids(client);
    const pgCpu0 = cpuMsOf(pids0);
    const redisCpu0 = await redisServerCpuMs(redis);
    const serverCommands0 = await redisServerCommands(redis);
    const cpu0 = process.cpuUsage();
    const elu0 = performance.eventLoopUtilization();
    const profiler = opts.profile ? await startProfiler() : undefined;
    pgCounter.enabled = true;
    poolCounter.enabled = true;
    redisCounter.enabled = true;
    const durable = await runDurable(
      opts.instances,
      opts.concurrency,
      startLimit,
      instances,
      watcher,
      0,
      diagnose,
    );
    pgCounter.enabled = false;
    poolCounter.enabled = false;
    redisCounter.enabled = false;
    const profile = profiler
      ? await profiler.stop(join(tmpdir(), `${resources.databaseName}.cpuprofile`))
      : '';
    const elu = performance.eventLoopUtilization(elu0);
    const cpu = process.cpuUsage(cpu0);
    const pids1 = [...new Set([...pids0, ...(await backendPids(client))])];
    const pgCpu1 = cpuMsOf(pids1);
    const redisCpuMs = (await redisServerCpuMs(redis)) - redisCpu0;
    const serverCommands1 = await redisServerCommands(redis);
    await watcher.stop();

    const latency = summarize(durable.samples.map((s) => s.latencyMs));
    const perSecond = (opts.instances / durable.wallMs) * 1000;
    const phase = await phases(client, durable.samples);
    const sizes = await storedSizes(client);

    const n = opts.instances;
    const nodeCpuMs = (cpu.user + cpu.system) / 1000;
    const pgCpuMs = pids1.reduce((sum, pid) => sum + (pgCpu1.get(pid) ?? 0) - (pgCpu0.get(pid) ?? 0), 0);
    const pgCpuKnown = pgCpu1.size > 0;
    const redisCalls = [...redisCounter.byCommand];
    const redisTotal = redisCalls.reduce((s, [, v]) => s + v, 0);
    const topRedis = [...redisCalls].sort((a, b) => b[1] - a[1]).slice(0, 8);
    const serverCalls = [...serverCommands1]
      .map(([c, v]) => [c, v - (serverCommands0.get(c) ?? 0)] as const)
      .filter(([c, v]) => v > 0 && c !== 'info');
    const serverTotal = serverCalls.reduce((s, [, v]) => s + v, 0);
    const topServer = [...serverCalls].sort((a, b) => b[1] - a[1]).slice(0, 8);

    // ---- report
    const lat = (s: Summary) => [fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.max)];
    console.log(
      table(
        'Throughput and start-to-end latency (ms)',
        ['path', 'instances', 'wall ms', 'inst/s', 'p50', 'p90', 'p99', 'max', 'cpu ms/inst (node)'],
        [
          [
            'durable (PG + outbox + BullMQ)',
            String(n),
            fmt(durable.wallMs, 0),
            fmt(perSecond, 1),
            ...lat(latency),
            fmt(nodeCpuMs / n),
          ],
          [
            'in-memory EngineHost start+complete',
            String(n),
            fmt(hostFigures.wallMs, 0),
            fmt(hostFigures.perSecond, 1),
            ...lat(hostFigures.latency),
            fmt(hostFigures.cpuMsPerInstance),
          ],
          [
            'in-memory plain bpmn-engine',
            String(n),
            fmt(plainFigures.wallMs, 0),
            fmt(plainFigures.perSecond, 1),
            ...lat(plainFigures.latency),
            fmt(plainFigures.cpuMsPerInstance),
          ],
        ],
      ),
    );
    console.log(
      `(durable: ${opts.concurrency} instances in flight, latency = start() call → row seen completed by a ${POLL_MS} ms poll; ` +
        'in-memory: one instance at a time)',
    );
    console.log(
      table(
        'Durable / in-memory ratios',
        ['baseline', 'throughput (durable is x slower)', 'p50 latency (durable is x slower)'],
        [
          [
            'EngineHost',
            fmt(hostFigures.perSecond / perSecond, 1),
            fmt(latency.p50 / hostFigures.latency.p50, 1),
          ],
          [
            'plain bpmn-engine',
            fmt(plainFigures.perSecond / perSecond, 1),
            fmt(latency.p50 / plainFigures.latency.p50, 1),
          ],
        ],
      ),
    );
    console.log(
      table(
        'Durable latency by phase (ms, per instance)',
        ['phase', 'p50', 'p90', 'p99', 'max'],
        [
          ['start() call → start tx committed', ...lat(phase.startTx)],
          ['commit → outbox relay tx began', ...lat(phase.toRelay)],
          ['relay → handler wrote job_effect (BullMQ add + pickup)', ...lat(phase.toHandler)],
          ['handler → completeJob set ended_at', ...lat(phase.toCompleted)],
          ['ended_at → completion detected (poll)', ...lat(phase.toDetected)],
          ['DB only: ended_at - started_at', ...lat(phase.dbLatency)],
        ],
      ),
    );
    console.log(
      table(
        'Durable cost per instance (measured run)',
        ['resource', 'per instance', 'total'],
        [
          ['SQL statements by the app', fmt(pgCounter.queries / n, 1), String(pgCounter.queries)],
          ['SQL time awaited (sum, overlapping) ms', fmt(pgCounter.queryMs / n), fmt(pgCounter.queryMs, 0)],
          ['pool connections taken', fmt(poolCounter.acquisitions / n, 1), String(poolCounter.acquisitions)],
          ['pool wait ms', fmt(poolCounter.waitMs / n), fmt(poolCounter.waitMs, 0)],
          ['Redis commands sent by this process (round trips)', fmt(redisTotal / n, 1), String(redisTotal)],
          [
            'Redis commands executed by the server (incl. in Lua; shared)',
            fmt(serverTotal / n, 1),
            String(serverTotal),
          ],
          ['CPU ms: node (this process)', fmt(nodeCpuMs / n), fmt(nodeCpuMs, 0)],
          [
            `CPU ms: postgres (the ${pids1.length} backends of the bench database)`,
            pgCpuKnown ? fmt(pgCpuMs / n) : 'n/a',
            pgCpuKnown ? fmt(pgCpuMs, 0) : 'n/a',
          ],
          ['CPU ms: redis-server (whole server, shared)', fmt(redisCpuMs / n), fmt(redisCpuMs, 0)],
        ],
      ),
    );
    console.log(
      `event-loop utilisation during the run: ${fmt(elu.utilization * 100, 0)} %; ` +
        `pool (max ${master.options?.max ?? '?'}) waiting clients avg ${fmt(poolCounter.waitingSum / (poolCounter.waitingSamples || 1), 1)}, max ${poolCounter.waitingMax}; ` +
        `wall ${fmt(durable.wallMs, 0)} ms on ${availableParallelism()} cores; load average now ${fmt(loadavg()[0] ?? NaN)}`,
    );
    console.log(
      `Redis commands per instance, sent: ${topRedis.map(([c, v]) => `${c} ${fmt(v / n, 1)}`).join(', ')}; ` +
        `executed by the server: ${topServer.map(([c, v]) => `${c} ${fmt(v / n, 1)}`).join(', ')}`,
    );
    console.log(
      table(
        'SQL statements by the app per instance (measured run)',
        ['statement', 'per instance'],
        [...pgCounter.byStatement]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 16)
          .map(([kind, count]) => [kind, fmt(count / n, 2)]),
      ),
    );
    if (profile) console.log(profile);
    console.log(
      table(
        `Stored state (${sizes.state.n} completed instances incl. warm-up)`,
        ['what', 'avg', 'max'],
        [
          ['engine_state pg_column_size (bytes)', fmt(sizes.state.avg_col, 0), String(sizes.state.max_col)],
          ['engine_state::text length (chars)', fmt(sizes.state.avg_text, 0), String(sizes.state.max_text)],
          ['variables pg_column_size (bytes)', fmt(sizes.state.avg_vars, 0), ''],
          ['history_event rows / instance', fmt(sizes.rows.history / sizes.rows.instances, 1), ''],
          [
            'history_event bytes / instance (row sizes)',
            fmt(sizes.rows.history_bytes / sizes.rows.instances, 0),
            '',
          ],
          [
            'job / outbox / job_effect rows / instance',
            `${fmt(sizes.rows.jobs / sizes.rows.instances, 1)} / ${fmt(sizes.rows.outbox / sizes.rows.instances, 1)} / ${fmt(sizes.rows.effects / sizes.rows.instances, 1)}`,
            '',
          ],
          ...sizes.tables.map((t) => [
            `${t.table} total relation bytes / instance`,
            fmt(t.bytes / sizes.rows.instances, 0),
            '',
          ]),
        ],
      ),
    );
    console.log(
      `definition XML stored once: ${sizes.definition.versions} row(s), ${sizes.definition.xml_chars} chars ` +
        `(${sizes.definition.xml_stored} bytes stored); instance states containing "source": ${sizes.state.with_source}`,
    );

    const summary = {
      instances: n,
      concurrency: opts.concurrency,
      workerConcurrency: opts.workerConcurrency,
      durable: {
        perSecond: round(perSecond, 1),
        p50Ms: round(latency.p50),
        p99Ms: round(latency.p99),
        wallMs: round(durable.wallMs, 0),
      },
      engineHost: {
        perSecond: round(hostFigures.perSecond, 1),
        p50Ms: round(hostFigures.latency.p50),
        p99Ms: round(hostFigures.latency.p99),
      },
      plainEngine: {
        perSecond: round(plainFigures.perSecond, 1),
        p50Ms: round(plainFigures.latency.p50),
        p99Ms: round(plainFigures.latency.p99),
      },
      ratio: {
        throughputVsEngineHost: round(hostFigures.perSecond / perSecond, 2),
        p50VsEngineHost: round(latency.p50 / hostFigures.latency.p50, 2),
        throughputVsPlainEngine: round(plainFigures.perSecond / perSecond, 2),
        p50VsPlainEngine: round(latency.p50 / plainFigures.latency.p50, 2),
      },
      perInstance: {
        sqlStatements: round(pgCounter.queries / n, 1),
        redisCommands: round(redisTotal / n, 1),
        nodeCpuMs: round(nodeCpuMs / n),
        postgresCpuMs: pgCpuKnown ? round(pgCpuMs / n) : null,
      },
      stored: {
        engineStateAvgBytes: round(sizes.state.avg_col, 0),
        engineStateMaxBytes: sizes.state.max_col,
        engineStateAvgChars: round(sizes.state.avg_text, 0),
        engineStateMaxChars: sizes.state.max_text,
        definitionXmlChars: sizes.definition.xml_chars,
        definitionRows: sizes.definition.versions,
        historyRowsPerInstance: round(sizes.rows.history / sizes.rows.instances, 2),
      },
    };
    console.log(`\nBENCH_SUMMARY ${JSON.stringify(summary)}`);
  } catch (err) {
    stalled = err instanceof StallError;
    throw err;
  } finally {
    if (clientConnected) await client.end().catch(() => undefined);
    // After a stall the app's transactions never end and app.close() would wait for them: dropping the
    // database WITH (FORCE) first ends them. Either way app.close() gets a bounded time.
    if (stalled) await dropResources(resources);
    if (app) {
      const closing = app.close().then(() => true);
      const closed = await Promise.race([closing, sleep(20_000).then(() => false)]);
      if (!closed) console.error('app.close() did not finish in 20 s');
    }
    redis.disconnect();
    if (!stalled) await dropResources(resources);
  }
}

main().then(
  () => {
    process.exitCode = 0;
    // Anything a library left open must not keep the bench alive.
    setTimeout(() => process.exit(0), 2000).unref();
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
