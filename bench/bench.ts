/**
 * The measuring instrument of the durable path: throughput, latency and cost per instance of the service, next
 * to the same process run in memory (the project's EngineHost and plain bpmn-engine) in the same run. Prints
 * figures and ends with one line `BENCH_SUMMARY {json}`; it is not a test.
 *
 * Shapes (--shapes, any of a,b,c,inbox,scale-out; default all):
 *   a          one service task (bench/fixtures/bench-one-task.bpmn)
 *   b          ten sequential service tasks (bench/fixtures/bench-ten-tasks.bpmn)
 *   a sweep    after the single-process shapes, shape a again at each of --a-sweep's in-flight counts (default
 *              4,8,16, --instances each): rate and latency against load
 *   c          the standard release flow, filed and worked through the HTTP API by its role users, from a client
 *              in a child process of its own (bench/release-client.ts), so the service's process counts only itself
 *   inbox      GET /api/tasks over 100,000 seeded open tasks, without and with the inbox index
 *   scale-out  a, b and c again on 2 API + 2 worker child processes sharing one PostgreSQL and one Redis
 *              (needs `npm run build`, which `npm run bench` does)
 *
 *   npm run bench
 *   npm run bench -- --shapes a,b --instances 200 --concurrency 16
 *   npm run bench -- --shapes a --a-sweep 2,4,8,16,32   (shape a again at each in-flight count; '' or 0: none)
 *   npm run bench -- --shapes inbox --inbox-tasks 20000 --inbox-releases 2000
 *
 * Each flag has an environment twin (BENCH_INSTANCES, ...). Everything it creates (database
 * release_bench_<random>, Redis keys bench-<random>:*, a scratch folder) is removed at the end.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { EngineHost } from '../src/engine/engine-host.js';
import { compileProcess } from '../src/engine/process-model.js';
import { seedUsersOverHttp } from '../test/support/users.js';
import { DEFAULT_REQUEST, STANDARD_HAPPY_PATH } from '../test/support/release-driver.js';
import { startScaleOut, startSingle, type Deployment, type ServiceEnvironment } from './deployments.js';
import {
  engineHostOnce,
  engineHostReleaseOnce,
  measureSequential,
  plainEngineOnce,
  type RunFigures,
} from './in-memory.js';
import { measureInbox, type InboxFigures } from './inbox.js';
import { exclude, installCounters } from './instrument.js';
import {
  CompletionWatcher,
  measureReleaseShape,
  measureServiceShape,
  POLL_MS,
  SERVICE_SHAPES,
  StallError,
  type DurableSample,
  type ServiceShape,
  type ShapeFigures,
} from './shapes.js';
import { fmt, round, summarize, table, type Summary } from './stats.js';

const BENCH_DIR = resolve(__dirname, '../../bench');
const PROCESSES_DIR = resolve(__dirname, '../../processes');
const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** How the service reaches PostgreSQL: a Unix socket (a host that is a path) or TCP. */
function postgresTransport(url: string): 'unix socket' | 'tcp' {
  const host = decodeURIComponent(new URL(url).hostname);
  return host.startsWith('/') || new URL(url).searchParams.get('host')?.startsWith('/')
    ? 'unix socket'
    : 'tcp';
}

const ALL_SHAPES = ['a', 'b', 'c', 'inbox', 'scale-out'] as const;
type Shape = (typeof ALL_SHAPES)[number];

// ---------------------------------------------------------------------------------------------------------
// Options

interface Options {
  readonly shapes: ReadonlySet<Shape>;
  /** Instances of shape a. */
  readonly instances: number;
  /** Instances of shape b (each runs ten service tasks). */
  readonly bInstances: number;
  readonly concurrency: number;
  /** In-flight counts at which shape a runs again after the single-process shapes; empty: no sweep. */
  readonly aSweep: readonly number[];
  readonly warmup: number;
  readonly releases: number;
  readonly releaseConcurrency: number;
  readonly inboxReleases: number;
  readonly inboxTasks: number;
  readonly inboxRequests: number;
  readonly apis: number;
  readonly workers: number;
  readonly workerConcurrency: number;
  readonly outboxPollMs: number;
  /** start() calls in flight at once; 0 = min(concurrency, pool max - 1). See runInstances. */
  readonly startLimit: number;
  /** CPU-profile this process during the single-process run of shape a, else of c (slows it down). */
  readonly profile: boolean;
}

function options(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i >= 0) return argv[i + 1];
    const eq = argv.find((a) => a.startsWith(`--${name}=`));
    return eq?.slice(name.length + 3);
  };
  const envName = (name: string) => `BENCH_${name.toUpperCase().replace(/-/g, '_')}`;
  const int = (name: string, fallback: number, min: number): number => {
    const raw = arg(name) ?? env[envName(name)];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min)
      throw new Error(`--${name} / ${envName(name)} must be an integer >= ${min}`);
    return value;
  };
  const shapeList = (arg('shapes') ?? env.BENCH_SHAPES ?? ALL_SHAPES.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = shapeList.filter((s) => !(ALL_SHAPES as readonly string[]).includes(s));
  if (unknown.length > 0 || shapeList.length === 0)
    throw new Error(
      `--shapes / BENCH_SHAPES: a list of ${ALL_SHAPES.join(', ')}; unknown: ${unknown.join(', ')}`,
    );
  const instances = int('instances', 200, 1);
  const sweepRaw = (arg('a-sweep') ?? env[envName('a-sweep')] ?? '4,8,16').trim();
  const aSweep =
    sweepRaw === '' || sweepRaw === '0'
      ? []
      : sweepRaw.split(',').map((part) => {
          const value = Number(part.trim());
          if (!Number.isInteger(value) || value < 1)
            throw new Error(
              `--a-sweep / ${envName('a-sweep')}: in-flight counts >= 1, e.g. 4,8,16; or '' / 0`,
            );
          return value;
        });
  return {
    shapes: new Set(shapeList as Shape[]),
    instances,
    bInstances: int('b-instances', Math.max(1, Math.round(instances / 4)), 1),
    concurrency: int('concurrency', 16, 1),
    aSweep: [...new Set(aSweep)].sort((x, y) => x - y),
    warmup: int('warmup', 20, 0),
    releases: int('releases', 12, 1),
    releaseConcurrency: int('release-concurrency', 4, 1),
    inboxReleases: int('inbox-releases', 10_000, 1),
    inboxTasks: int('inbox-tasks', 100_000, 1),
    inboxRequests: int('inbox-requests', 40, 1),
    apis: int('apis', 2, 1),
    workers: int('workers', 2, 0),
    workerConcurrency: int('worker-concurrency', 8, 1),
    // The service's default: the relay after commit moves every message; the sweep only finds what a crash left.
    outboxPollMs: int('outbox-poll-ms', 1000, 10),
    startLimit: int('start-limit', 0, 0),
    profile: argv.includes('--profile') || /^(1|true|yes)$/i.test(env.BENCH_PROFILE ?? ''),
  };
}

// ---------------------------------------------------------------------------------------------------------
// CPU profile of this process

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
// Latency by phase of shape a (from the rows the service wrote)

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
    if (!r || r.effect === null) continue;
    const [started, ended, effect] = [Number(r.started), Number(r.ended), Number(r.effect)];
    startTx.push(s.committedEpoch - s.calledEpoch);
    // A job run by the process's own workers is marked relayed when done, after its effect: no relay phase.
    if (r.relayed !== null && Number(r.relayed) <= effect) toRelay.push(Number(r.relayed) - s.committedEpoch);
    toHandler.push(effect - s.committedEpoch);
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

// ---------------------------------------------------------------------------------------------------------
// Resources

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

/** The shipped flows (with their forms and decisions) and the bench's fixtures, deployed together. */
function processesDir(resources: Resources): string {
  const dir = join(resources.scratchDir, 'processes');
  mkdirSync(dir, { recursive: true });
  for (const source of [PROCESSES_DIR, join(BENCH_DIR, 'fixtures')])
    for (const file of readdirSync(source).filter((f) => /\.(bpmn|dmn|form)$/.test(f)))
      copyFileSync(join(source, file), join(dir, file));
  return dir;
}

async function dropResources(resources: Resources): Promise<void> {
  rmSync(resources.scratchDir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  exclude(client);
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${resources.databaseName}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  const redis = new Redis(REDIS_URL);
  exclude(redis);
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

// ---------------------------------------------------------------------------------------------------------
// Report

const MB = 1024 * 1024;

function perInstance(f: ShapeFigures) {
  const n = f.instances || 1;
  const stored = Object.values(f.storedBytes).reduce((s, v) => s + v, 0);
  return {
    sqlStatements: f.cost.statements / n,
    sqlRoundTrips: f.cost.roundTrips / n,
    poolCheckouts: f.cost.poolCheckouts / n,
    poolWaitMs: f.cost.poolWaitMs / n,
    redisRoundTrips: f.cost.redisCommands / n,
    nodeCpuMs: f.cost.cpuMs / n,
    postgresCpuMs: f.postgresCpuMs === null ? NaN : f.postgresCpuMs / n,
    storedBytes: stored / n,
  };
}

function shapeJson(f: ShapeFigures) {
  const per = perInstance(f);
  return {
    instances: f.instances,
    wallMs: round(f.wallMs, 0),
    perSecond: round(f.perSecond, 2),
    ...(f.userTasksPerSecond === null
      ? {}
      : { releasesPerSecond: round(f.perSecond, 3), userTasksPerSecond: round(f.userTasksPerSecond, 2) }),
    p50Ms: round(f.latency.p50, 1),
    p99Ms: round(f.latency.p99, 1),
    perInstance: {
      sqlStatements: round(per.sqlStatements, 1),
      sqlRoundTrips: round(per.sqlRoundTrips, 1),
      poolCheckouts: round(per.poolCheckouts, 1),
      poolWaitMs: round(per.poolWaitMs, 2),
      redisRoundTrips: round(per.redisRoundTrips, 1),
      nodeCpuMs: round(per.nodeCpuMs, 2),
      postgresCpuMs: round(per.postgresCpuMs, 2),
      storedBytes: round(per.storedBytes, 0),
    },
    storedBytesPerInstanceByTable: Object.fromEntries(
      Object.entries(f.storedBytes).map(([t, b]) => [t, round(b / (f.instances || 1), 0)]),
    ),
    ...(f.clientCpuMs === undefined
      ? {}
      : { clientNodeCpuMsPerRelease: round(f.clientCpuMs / (f.instances || 1), 2) }),
    engineCacheHitRate: f.cost.cacheLookups > 0 ? round(f.cost.cacheHits / f.cost.cacheLookups, 3) : null,
    maxRssMbByProcess: f.maxRssBytesByProcess.map((b) => round(b / MB, 0)),
  };
}

function shapeRows(figures: readonly ShapeFigures[]): string[][] {
  return figures.map((f) => {
    const per = perInstance(f);
    return [
      `${f.deployment} ${f.shape}`,
      String(f.instances),
      fmt(f.wallMs, 0),
      fmt(f.perSecond, 2),
      f.userTasksPerSecond === null ? '' : fmt(f.userTasksPerSecond, 1),
      fmt(f.latency.p50, 0),
      fmt(f.latency.p99, 0),
      fmt(per.sqlStatements, 1),
      fmt(per.sqlRoundTrips, 1),
      fmt(per.poolCheckouts, 1),
      fmt(per.poolWaitMs, 1),
      fmt(per.redisRoundTrips, 1),
      fmt(per.nodeCpuMs, 1),
      fmt(per.postgresCpuMs, 1),
      fmt(per.storedBytes, 0),
      f.cost.cacheLookups > 0 ? `${fmt((100 * f.cost.cacheHits) / f.cost.cacheLookups, 0)} %` : 'n/a',
      f.maxRssBytesByProcess.map((b) => fmt(b / MB, 0)).join('+'),
    ];
  });
}

function printShapes(figures: readonly ShapeFigures[]): void {
  console.log(
    table(
      'Durable path per shape (latency: start → seen ended, ms; costs per instance, c: per release)',
      [
        'run',
        'n',
        'wall ms',
        'inst/s',
        'tasks/s',
        'p50',
        'p99',
        'SQL',
        'SQL RT',
        'pool',
        'pool wait',
        'Redis RT',
        'node ms',
        'pg ms',
        'stored B',
        'cache',
        'max RSS MB',
      ],
      shapeRows(figures),
    ),
  );
  console.log(
    `(a, b: ${POLL_MS} ms completion poll included in the latency; c: file → closed, every person step over HTTP, ` +
      'tasks/s counts user tasks; SQL RT: round trips of those statements (a BEGIN rides with the next one); ' +
      "node ms: the service's processes; single a, b: with the bench's driver (start calls, completion poll) in " +
      'the same process; c: without its HTTP client, which runs in a child process of its own; ' +
      'stored B: row bytes of the instance, its jobs, outbox, history, tasks and release, no indexes; ' +
      'cache: share of engine runs served by a live engine (the rest were rebuilt from the stored state))',
  );
  for (const f of figures) {
    const top = Object.entries(f.cost.byStatement)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 16)
      .map(([kind, count]) => `${kind} ${fmt(count / (f.instances || 1), 1)}`)
      .join(', ');
    const redisTop = Object.entries(f.cost.byRedisCommand)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([c, v]) => `${c} ${fmt(v / (f.instances || 1), 1)}`)
      .join(', ');
    console.log(`${f.deployment} ${f.shape}: SQL per instance: ${top}; Redis: ${redisTop}`);
    if (f.clientCpuMs !== undefined)
      console.log(
        `${f.deployment} ${f.shape}: the release client, in its own process, used ` +
          `${fmt(f.clientCpuMs / (f.instances || 1), 1)} ms Node CPU per release (not in node ms)`,
      );
  }
}

function printInbox(inbox: InboxFigures): void {
  const lat = (s: Summary) => [fmt(s.p50, 1), fmt(s.p99, 1)];
  console.log(
    table(
      `Inbox GET /api/tasks over ${inbox.openTasks} open tasks (seeded in ${fmt(inbox.seedMs / 1000, 1)} s), ms`,
      ['request', 'matching', 'p50 without', 'p99 without', 'p50 with index', 'p99 with index'],
      inbox.without.map((w, i) => [
        w.name,
        String(w.total),
        ...lat(w.latency),
        ...lat(inbox.withIndex[i]?.latency ?? summarize([])),
      ]),
    ),
  );
  console.log('\nEXPLAIN ANALYZE without the inbox index:\n' + inbox.plansWithout.join('\n'));
  console.log('\nEXPLAIN ANALYZE with the inbox index:\n' + inbox.plansWith.join('\n'));
}

function baselineJson(f: RunFigures) {
  return {
    perSecond: round(f.perSecond, 1),
    p50Ms: round(f.latency.p50),
    p99Ms: round(f.latency.p99),
    cpuMsPerInstance: round(f.cpuMsPerInstance),
  };
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2), process.env);
  installCounters();
  const has = (s: Shape) => opts.shapes.has(s);
  console.log(
    `bench: shapes ${[...opts.shapes].join(',')}; a ${opts.instances} / b ${opts.bInstances} instances, ` +
      `${opts.concurrency} in flight, warm-up ${opts.warmup}, a sweep ${opts.aSweep.join(',') || 'off'}; c ${opts.releases} releases, ${opts.releaseConcurrency} at once; ` +
      `inbox ${opts.inboxTasks} tasks / ${opts.inboxReleases} releases; scale-out ${opts.apis} API + ${opts.workers} worker processes; ` +
      `worker concurrency ${opts.workerConcurrency}, outbox poll ${opts.outboxPollMs} ms; node ${process.version}`,
  );
  const load1 = loadavg()[0] ?? 0;
  if (load1 > 0.5 * availableParallelism()) {
    console.log(
      `warning: load average ${fmt(load1)} on ${availableParallelism()} cores before the run: ` +
        'other work on this machine will skew the figures',
    );
  }

  // 1. In memory, before the service boots so its pollers do not disturb the figures.
  const serviceShapes = (['a', 'b'] as const).filter((s) => has(s) || has('scale-out'));
  const baselines: Partial<Record<ServiceShape, { host: RunFigures; live: RunFigures; plain: RunFigures }>> =
    {};
  for (const shape of serviceShapes) {
    const { processKey } = SERVICE_SHAPES[shape];
    const xml = readFileSync(join(BENCH_DIR, 'fixtures', `${processKey}.bpmn`), 'utf8');
    const n = shape === 'a' ? opts.instances : opts.bInstances;
    const host = await measureSequential(
      n,
      opts.warmup,
      engineHostOnce(new EngineHost(), await compileProcess(xml), { live: false }),
    );
    const live = await measureSequential(
      n,
      opts.warmup,
      engineHostOnce(new EngineHost(), await compileProcess(xml), { live: true }),
    );
    const plain = await measureSequential(n, opts.warmup, await plainEngineOnce(xml, processKey));
    baselines[shape] = { host, live, plain };
  }

  // Shape c's engine share: the standard flow through the engine host alone, each task answered at once.
  let releaseEngine: (RunFigures & { userTasksPerSecond: number }) | undefined;
  if (has('c')) {
    const counted = { userTasks: 0 };
    const standard = DEFAULT_REQUEST.standard;
    const runs = await measureSequential(
      Math.max(opts.releases, 40),
      opts.warmup > 0 ? 10 : 0,
      engineHostReleaseOnce(
        new EngineHost(),
        await compileProcess(readFileSync(join(PROCESSES_DIR, 'standard-release.bpmn'), 'utf8')),
        {
          releaseNumber: 'BENCH-1',
          releaseClass: 'standard',
          source: standard.source,
          title: standard.title,
        },
        new Map(STANDARD_HAPPY_PATH),
        counted,
      ),
    );
    releaseEngine = { ...runs, userTasksPerSecond: (counted.userTasks / runs.wallMs) * 1000 };
  }

  // 2. The durable path on a fresh database and queue prefix.
  const resources = newResources();
  const env: ServiceEnvironment = {
    databaseUrl: resources.databaseUrl,
    redisUrl: REDIS_URL,
    queuePrefix: resources.queuePrefix,
    processesDir: processesDir(resources),
    scratchDir: resources.scratchDir,
    // Set so the boot neither warns about a per-process key nor prints a generated admin password.
    jwtSecret: randomBytes(32).toString('hex'),
    adminPassword: randomBytes(12).toString('hex'),
    workerConcurrency: opts.workerConcurrency,
    outboxPollMs: opts.outboxPollMs,
  };
  const client = new pg.Client({ connectionString: resources.databaseUrl });
  exclude(client);
  let clientConnected = false;
  let deployment: Deployment | undefined;
  let watcher: CompletionWatcher | undefined;
  let stalled = false;
  const single: ShapeFigures[] = [];
  const scaled: ShapeFigures[] = [];
  let inbox: InboxFigures | undefined;
  let phaseTable = '';
  let profile = '';
  let tokens: Record<string, string> | undefined;
  const sweep: SweepPoint[] = [];
  const startLimitFor = (poolMax: number, concurrency: number) =>
    opts.startLimit > 0 ? opts.startLimit : Math.max(1, Math.min(concurrency, poolMax - 1));

  const runShapes = async (target: Deployment, into: ShapeFigures[], poolMax: number) => {
    const startLimit = startLimitFor(poolMax, opts.concurrency);
    if (!clientConnected) {
      await client.connect();
      clientConnected = true;
    }
    tokens ??= await seedUsersOverHttp(target.apiUrls[0]!, env.adminPassword);
    watcher = new CompletionWatcher(client);
    watcher.start();
    for (const shape of serviceShapes) {
      if (target.name === 'single' && !has(shape)) continue;
      const profiler =
        opts.profile && target.name === 'single' && shape === 'a' ? await startProfiler() : undefined;
      const figures = await measureServiceShape(shape, target, client, watcher, {
        instances: shape === 'a' ? opts.instances : opts.bInstances,
        warmup: opts.warmup,
        concurrency: opts.concurrency,
        startLimit,
      });
      if (profiler) profile = await profiler.stop(join(tmpdir(), `${resources.databaseName}.cpuprofile`));
      if (shape === 'a' && target.name === 'single')
        phaseTable = phaseReport(await phases(client, figures.samples));
      into.push(figures);
      console.log(`${target.name} ${shape}: ${figures.instances} instances in ${fmt(figures.wallMs, 0)} ms`);
    }
    if (has('c')) {
      // Shape c is profiled when shape a is not run (one profile per run).
      const profiler =
        opts.profile && target.name === 'single' && !has('a') ? await startProfiler() : undefined;
      const figures = await measureReleaseShape(target, client, tokens, {
        releases: opts.releases,
        warmup: 1,
        concurrency: opts.releaseConcurrency,
      });
      if (profiler) profile = await profiler.stop(join(tmpdir(), `${resources.databaseName}.cpuprofile`));
      into.push(figures);
      console.log(`${target.name} c: ${figures.instances} releases in ${fmt(figures.wallMs, 0)} ms`);
    }
    // After the other shapes, so their figures meet the database and process as runs without the sweep did.
    if (target.name === 'single' && has('a')) {
      for (const inFlight of opts.aSweep) {
        const figures = await measureServiceShape('a', target, client, watcher, {
          instances: opts.instances,
          warmup: opts.warmup,
          concurrency: inFlight,
          startLimit: startLimitFor(poolMax, inFlight),
        });
        sweep.push({ inFlight, figures });
        console.log(
          `single a, ${inFlight} in flight: ${figures.instances} instances in ${fmt(figures.wallMs, 0)} ms`,
        );
      }
    }
    await watcher.stop();
    watcher = undefined;
  };

  try {
    if (has('a') || has('b') || has('c') || has('inbox')) {
      const app = await startSingle(env);
      deployment = app;
      const poolMax = poolMaxOf(app.app);
      console.log(`single process booted in ${fmt(app.bootMs, 0)} ms; pool max ${poolMax}`);
      await runShapes(app, single, poolMax);
      if (has('inbox')) {
        inbox = await measureInbox(client, app.apiUrls[0]!, tokens!, {
          releases: opts.inboxReleases,
          tasks: opts.inboxTasks,
          requests: opts.inboxRequests,
        });
        await removeSeed(client);
      }
      printShapes(single);
      if (sweep.length > 0) console.log(sweepReport(sweep));
      if (inbox) printInbox(inbox);
      await app.close();
      deployment = undefined;
    }
    if (has('scale-out')) {
      const cluster = await startScaleOut(env, opts.apis, opts.workers);
      deployment = cluster;
      console.log(
        `scale-out booted in ${fmt(cluster.bootMs, 0)} ms: ${opts.apis} API + ${opts.workers} worker processes`,
      );
      await runShapes(cluster, scaled, 10);
      printShapes(scaled);
      await cluster.close();
      deployment = undefined;
    }

    // ---- report
    const baselineRows = Object.entries(baselines).flatMap(([shape, b]) => [
      [
        `in-memory EngineHost ${shape}`,
        String(b.host.instances),
        fmt(b.host.perSecond, 1),
        fmt(b.host.latency.p50, 2),
        fmt(b.host.latency.p99, 2),
        fmt(b.host.cpuMsPerInstance),
      ],
      [
        `in-memory EngineHost, live ${shape}`,
        String(b.live.instances),
        fmt(b.live.perSecond, 1),
        fmt(b.live.latency.p50, 2),
        fmt(b.live.latency.p99, 2),
        fmt(b.live.cpuMsPerInstance),
      ],
      [
        `in-memory plain bpmn-engine ${shape}`,
        String(b.plain.instances),
        fmt(b.plain.perSecond, 1),
        fmt(b.plain.latency.p50, 2),
        fmt(b.plain.latency.p99, 2),
        fmt(b.plain.cpuMsPerInstance),
      ],
    ]);
    if (baselineRows.length > 0)
      console.log(
        table(
          'In-memory baselines (one instance at a time; EngineHost: rebuilt from the stored state at every command, ' +
            'live: its engine kept between commands, as the durable path runs it on a cache hit)',
          ['run', 'n', 'inst/s', 'p50 ms', 'p99 ms', 'cpu ms/inst'],
          baselineRows,
        ),
      );
    if (releaseEngine) {
      const durableC = single.find((f) => f.shape === 'c');
      console.log(
        `\nShape c's engine share in memory (the standard flow through the engine host, its engine kept, each task ` +
          `answered at once; no storage, queues, HTTP or forms): ${fmt(releaseEngine.perSecond, 2)} releases/s, ` +
          `${fmt(releaseEngine.userTasksPerSecond, 1)} user tasks/s, ${fmt(releaseEngine.cpuMsPerInstance)} ms of CPU per release` +
          (durableC?.userTasksPerSecond
            ? `; the durable run made ${fmt(durableC.userTasksPerSecond / releaseEngine.userTasksPerSecond, 2)}x of its tasks/s`
            : ''),
      );
    }
    const ratioRows = [...single, ...scaled]
      .filter((f) => f.shape in baselines)
      .map((f) => {
        const b = baselines[f.shape as ServiceShape]!;
        return [
          `${f.deployment} ${f.shape}`,
          fmt(b.plain.perSecond / f.perSecond, 1),
          fmt(f.latency.p50 / b.plain.latency.p50, 1),
          fmt(b.host.perSecond / f.perSecond, 1),
          fmt(f.latency.p50 / b.host.latency.p50, 1),
          fmt(b.live.perSecond / f.perSecond, 1),
        ];
      });
    if (ratioRows.length > 0)
      console.log(
        table(
          'Durable vs in memory (x slower)',
          [
            'run',
            'throughput vs plain',
            'p50 vs plain',
            'throughput vs EngineHost',
            'p50 vs EngineHost',
            'throughput vs live EngineHost',
          ],
          ratioRows,
        ),
      );
    if (phaseTable) console.log(phaseTable);
    if (profile) console.log(profile);
    console.log(`\n${availableParallelism()} cores; load average now ${fmt(loadavg()[0] ?? NaN)}`);

    const byShape = (list: readonly ShapeFigures[]) =>
      Object.fromEntries(list.map((f) => [f.shape, shapeJson(f)]));
    const singleA = single.find((f) => f.shape === 'a');
    const summary = {
      options: {
        shapes: [...opts.shapes],
        instances: opts.instances,
        bInstances: opts.bInstances,
        concurrency: opts.concurrency,
        aSweep: opts.aSweep,
        releases: opts.releases,
        releaseConcurrency: opts.releaseConcurrency,
        workerConcurrency: opts.workerConcurrency,
        apis: opts.apis,
        workers: opts.workers,
      },
      machine: {
        cores: availableParallelism(),
        loadBefore: round(load1, 2),
        postgres: postgresTransport(POSTGRES_ADMIN_URL),
      },
      inMemory: Object.fromEntries(
        Object.entries(baselines).map(([shape, b]) => [
          shape,
          {
            engineHost: baselineJson(b.host),
            liveEngineHost: baselineJson(b.live),
            plainEngine: baselineJson(b.plain),
          },
        ]),
      ),
      releaseEngineInMemory: releaseEngine
        ? { ...baselineJson(releaseEngine), userTasksPerSecond: round(releaseEngine.userTasksPerSecond, 1) }
        : null,
      single: byShape(single),
      scaleOut: scaled.length > 0 ? { apis: opts.apis, workers: opts.workers, ...byShape(scaled) } : null,
      aSweep: sweep.length > 0 ? sweep.map(sweepJson) : null,
      aKnee: sweep.length > 0 ? kneeJson(kneeOf(sweep)) : null,
      inbox: inbox
        ? {
            openTasks: inbox.openTasks,
            releases: opts.inboxReleases,
            seedMs: round(inbox.seedMs, 0),
            p99WithoutIndexMs: round(Math.max(...inbox.without.map((q) => q.latency.p99)), 1),
            p99WithIndexMs: round(Math.max(...inbox.withIndex.map((q) => q.latency.p99)), 1),
            queries: inbox.without.map((q, i) => ({
              name: q.name,
              matching: q.total,
              withoutIndex: { p50Ms: round(q.latency.p50, 1), p99Ms: round(q.latency.p99, 1) },
              withIndex: {
                p50Ms: round(inbox!.withIndex[i]?.latency.p50 ?? NaN, 1),
                p99Ms: round(inbox!.withIndex[i]?.latency.p99 ?? NaN, 1),
              },
            })),
          }
        : null,
      // The keys of earlier runs, for shape a in one process: compare like with like.
      ...(singleA && baselines.a
        ? {
            durable: {
              perSecond: round(singleA.perSecond, 1),
              p50Ms: round(singleA.latency.p50),
              p99Ms: round(singleA.latency.p99),
            },
            ratio: {
              throughputVsEngineHost: round(baselines.a.host.perSecond / singleA.perSecond, 2),
              throughputVsLiveEngineHost: round(baselines.a.live.perSecond / singleA.perSecond, 2),
              throughputVsPlainEngine: round(baselines.a.plain.perSecond / singleA.perSecond, 2),
              p50VsPlainEngine: round(singleA.latency.p50 / baselines.a.plain.latency.p50, 2),
            },
          }
        : {}),
    };
    console.log(`\nBENCH_SUMMARY ${JSON.stringify(summary)}`);
  } catch (err) {
    stalled = err instanceof StallError;
    throw err;
  } finally {
    await watcher?.stop().catch(() => undefined);
    if (clientConnected) await client.end().catch(() => undefined);
    // After a stall the service's transactions never end and closing would wait for them: dropping the
    // database WITH (FORCE) first ends them.
    if (stalled) await dropResources(resources);
    if (deployment) await deployment.close().catch((e: unknown) => console.error(e));
    if (!stalled) await dropResources(resources);
  }
}

function poolMaxOf(app: { get(token: unknown): unknown }): number {
  const dataSource = app.get(DataSource) as { driver: unknown };
  return (dataSource.driver as { master?: { options?: { max?: number } } }).master?.options?.max ?? 10;
}

/** Takes the inbox seed out again, so the scale-out run meets the same database as the single run. */
async function removeSeed(client: pg.Client): Promise<void> {
  await client.query('BEGIN');
  await client.query(
    `CREATE TEMP TABLE seeded ON COMMIT DROP AS SELECT id, instance_id FROM release WHERE number LIKE 'SEED-%'`,
  );
  await client.query(`DELETE FROM user_task WHERE instance_id IN (SELECT instance_id FROM seeded)`);
  await client.query(`DELETE FROM release WHERE id IN (SELECT id FROM seeded)`);
  await client.query(`DELETE FROM process_instance WHERE id IN (SELECT instance_id FROM seeded)`);
  await client.query('COMMIT');
}

// ---------------------------------------------------------------------------------------------------------
// Shape a against load

interface SweepPoint {
  readonly inFlight: number;
  readonly figures: ShapeFigures;
}

/** The least load that still gets (nearly) the best rate: more in flight past it only queues. */
function kneeOf(sweep: readonly SweepPoint[]): SweepPoint {
  const best = Math.max(...sweep.map((p) => p.figures.perSecond));
  const byLoad = [...sweep].sort((x, y) => x.inFlight - y.inFlight);
  return byLoad.find((p) => p.figures.perSecond >= 0.9 * best) ?? byLoad[byLoad.length - 1]!;
}

function sweepJson({ inFlight, figures }: SweepPoint) {
  return {
    inFlight,
    perSecond: round(figures.perSecond, 2),
    p50Ms: round(figures.latency.p50, 1),
    p99Ms: round(figures.latency.p99, 1),
    nodeCpuMs: round(perInstance(figures).nodeCpuMs, 2),
  };
}

function kneeJson({ inFlight, figures }: SweepPoint) {
  return { inFlight, perSecond: round(figures.perSecond, 2), p99Ms: round(figures.latency.p99, 1) };
}

function sweepReport(sweep: readonly SweepPoint[]): string {
  const knee = kneeOf(sweep);
  return (
    table(
      'Shape a in one process: rate and latency by instances in flight',
      ['in flight', 'n', 'inst/s', 'p50 ms', 'p99 ms', 'node ms/inst', 'SQL/inst', ''],
      sweep.map((point) => {
        const { figures } = point;
        const per = perInstance(figures);
        return [
          String(point.inFlight),
          String(figures.instances),
          fmt(figures.perSecond, 1),
          fmt(figures.latency.p50, 0),
          fmt(figures.latency.p99, 0),
          fmt(per.nodeCpuMs, 1),
          fmt(per.sqlStatements, 1),
          point === knee ? 'knee' : '',
        ];
      }),
    ) +
    `
(knee: the fewest in flight with at least 90 % of the best rate; latency includes the ${POLL_MS} ms completion poll)`
  );
}

function phaseReport(phase: Awaited<ReturnType<typeof phases>>): string {
  const lat = (s: Summary) => [fmt(s.p50), fmt(s.p90), fmt(s.p99), fmt(s.max)];
  return table(
    'Shape a in one process: latency by phase (ms, per instance)',
    ['phase', 'p50', 'p90', 'p99', 'max'],
    [
      ['start() call → start tx committed', ...lat(phase.startTx)],
      ['commit → handler wrote job_effect (hand-over or relay, pickup)', ...lat(phase.toHandler)],
      [`  of which commit → relay marked (${phase.toRelay.n} jobs through Redis)`, ...lat(phase.toRelay)],
      ['handler → completeJob set ended_at', ...lat(phase.toCompleted)],
      ['ended_at → completion detected (poll)', ...lat(phase.toDetected)],
      ['DB only: ended_at - started_at', ...lat(phase.dbLatency)],
    ],
  );
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
