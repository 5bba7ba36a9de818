/**
 * What one service process costs: SQL statements (by shape) and the round trips they took, pool checkouts and the wait for them, Redis round
 * trips, CPU and RSS. Installed in the bench's own process for the single-instance runs (`installCounters`),
 * and preloaded into the API and worker child processes of the scale-out run (`node --require instrument.js`),
 * where it answers the bench over the fork IPC channel:
 *
 *   { id, cmd: 'counters' }                      → { id, counters }
 *   { id, cmd: 'start', processKey, variables }  → { id, instanceId }   (API processes: InstanceService.start)
 *
 * Starting a process by key has no HTTP route (only releases do), so the bench asks the API process to do what
 * such a route would; the cost lands in that process, as it would in production.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import pg from 'pg';
import { BeginPipeliningClient } from '../src/platform/database/begin-pipelining-pg.js';

export interface Counters {
  /** What the service asked to run, a held BEGIN included. */
  statements: number;
  /** Round trips to PostgreSQL (one Sync each): a BEGIN sent with the next statement is no round trip of its own. */
  roundTrips: number;
  byStatement: Record<string, number>;
  poolCheckouts: number;
  poolWaitMs: number;
  redisCommands: number;
  byRedisCommand: Record<string, number>;
  cpuMs: number;
  rssBytes: number;
  maxRssBytes: number;
  /** Live-engine cache lookups of the process's InstanceService: hits, and all lookups (hits, misses, stale). */
  cacheHits: number;
  cacheLookups: number;
}

/** Where the counters read the live-engine cache's figures: the process's InstanceService, once it exists. */
let cacheSource: (() => { hits: number; misses: number; stale: number }) | undefined;

export function countCacheOf(source: () => { hits: number; misses: number; stale: number }): void {
  cacheSource = source;
}

const state = {
  installed: false,
  statements: 0,
  roundTrips: 0,
  byStatement: new Map<string, number>(),
  poolCheckouts: 0,
  poolWaitMs: 0,
  redisCommands: 0,
  byRedisCommand: new Map<string, number>(),
  maxRss: 0,
};

/** Statements to keep (text → last parameters), e.g. the inbox's queries for EXPLAIN ANALYZE. */
const captures: Array<{ readonly match: RegExp; readonly seen: Map<string, unknown[]> }> = [];

export function captureStatements(match: RegExp): Map<string, unknown[]> {
  const seen = new Map<string, unknown[]>();
  captures.push({ match, seen });
  return seen;
}

function capture(args: readonly unknown[]): void {
  const config = args[0] as { text?: unknown; values?: unknown } | string | null;
  const text = typeof config === 'string' ? config : String(config?.text ?? '');
  const values = Array.isArray(args[1]) ? args[1] : typeof config === 'object' ? config?.values : undefined;
  for (const c of captures) if (c.match.test(text)) c.seen.set(text, Array.isArray(values) ? values : []);
}

/** Clients of the bench itself (its own pg client and Redis connection): left out of every count. */
const excluded = new WeakSet<object>();

export function exclude(client: object): void {
  excluded.add(client);
}

/** The statement's shape: verb and table, e.g. "INSERT INTO history_event", "SELECT user_task FOR UPDATE". */
export function statementKind(sql: unknown): string {
  const text = typeof sql === 'string' ? sql : ((sql as { text?: unknown } | null)?.text ?? '');
  const flat = String(text).replace(/\s+/g, ' ').replace(/"/g, '').trim();
  const verb = (/^\w+/.exec(flat)?.[0] ?? '?').toUpperCase();
  const lock = /FOR UPDATE|FOR NO KEY UPDATE/i.test(flat) ? ' FOR UPDATE' : '';
  // The statement's own FROM, not that of a subquery in its select list (a task list's release column); a
  // statement reading only a subquery (a capped count) is named by the subquery's.
  const outer = flat.replace(/\(\s*SELECT\b(?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)/gi, '()');
  // A WITH that writes is named by what it writes first (an instance's insert or update with its history).
  const written = verb === 'WITH' ? /\b(INSERT INTO|UPDATE|DELETE FROM) ([\w.]+)/i.exec(flat) : null;
  if (written) return `WITH ${written[1]!.split(' ')[0]!.toUpperCase()} ${written[2]}${lock}`;
  const table =
    /^(?:INSERT INTO|UPDATE|DELETE FROM) ([\w.]+)/i.exec(flat)?.[1] ??
    /\bFROM ([\w.]+)/i.exec(outer)?.[1] ??
    /\bFROM ([\w.]+)/i.exec(flat)?.[1];
  return table ? `${verb} ${table}${lock}` : flat.slice(0, 40);
}

/** Statement kinds by SQL text: the service sends a few dozen texts, so the counting costs a lookup, not regexes. */
const kinds = new Map<string, string>();
const KINDS_KEPT = 10_000;

function kindOf(sql: unknown): string {
  const text = typeof sql === 'string' ? sql : (sql as { text?: unknown } | null)?.text;
  if (typeof text !== 'string') return statementKind(sql);
  let kind = kinds.get(text);
  if (kind === undefined) {
    if (kinds.size >= KINDS_KEPT) kinds.clear();
    kind = statementKind(text);
    kinds.set(text, kind);
  }
  return kind;
}

/**
 * BENCH_TRACE=<regex of statement kinds>: count where each matching statement comes from (the service's frames of
 * its stack), printed when the process exits; e.g. BENCH_TRACE='SELECT release' to find who reads releases.
 */
const TRACE = process.env.BENCH_TRACE ? new RegExp(process.env.BENCH_TRACE) : undefined;
const traces = new Map<string, number>();
if (TRACE) {
  Error.stackTraceLimit = 60;
  process.on('exit', () => {
    for (const [site, n] of [...traces].sort((a, b) => b[1] - a[1]).slice(0, 40))
      console.log(`TRACE ${n} ${site}`);
  });
}

function traceStatement(kind: string): void {
  const frames = (new Error().stack ?? '')
    .split('\n')
    .filter((line) => line.includes('/dist/src/'))
    .slice(0, 6)
    .map((line) => line.trim().replace(/\(.*dist\/src\//, '('));
  bump(traces, `${kind} @ ${frames.join(' < ')}`);
}

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

/** Patch pg and ioredis once; counting is always on and read as differences between two snapshots. */
export function installCounters(): void {
  if (state.installed) return;
  state.installed = true;

  const countStatement = (args: unknown[]) => {
    state.statements += 1;
    const kind = kindOf(args[0]);
    bump(state.byStatement, kind);
    if (TRACE?.test(kind)) traceStatement(kind);
    if (captures.length > 0) capture(args);
  };
  // pg's own query is what reaches the wire: each call one round trip. The service's pooled clients answer a
  // BEGIN themselves and send it with the next statement, so their statements are counted where they are asked.
  const clientProto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const query = clientProto.query;
  clientProto.query = function countedQuery(this: object, ...args: unknown[]): unknown {
    if (!excluded.has(this)) {
      state.roundTrips += 1;
      if (!(this instanceof BeginPipeliningClient)) countStatement(args);
    }
    return query.apply(this, args);
  };
  const pipeliningProto = BeginPipeliningClient.prototype as unknown as {
    query: (...args: unknown[]) => unknown;
  };
  const pipeliningQuery = pipeliningProto.query;
  pipeliningProto.query = function countedStatement(this: object, ...args: unknown[]): unknown {
    if (!excluded.has(this)) countStatement(args);
    return pipeliningQuery.apply(this, args);
  };

  // TypeORM takes connections with a callback; pg's own helpers with a promise.
  const poolProto = pg.Pool.prototype as unknown as { connect: (...args: unknown[]) => unknown };
  const connect = poolProto.connect;
  poolProto.connect = function countedConnect(this: object, ...args: unknown[]): unknown {
    const t0 = performance.now();
    const taken = () => {
      state.poolCheckouts += 1;
      state.poolWaitMs += performance.now() - t0;
    };
    const callback = args[0];
    if (typeof callback === 'function') {
      return connect.call(this, (...cbArgs: unknown[]) => {
        taken();
        (callback as (...a: unknown[]) => void)(...cbArgs);
      });
    }
    const result = connect.apply(this, args) as Promise<unknown>;
    return result.then((client) => {
      taken();
      return client;
    });
  };

  const redisProto = Redis.prototype as unknown as { sendCommand: (...args: unknown[]) => unknown };
  const sendCommand = redisProto.sendCommand;
  redisProto.sendCommand = function countedCommand(this: object, ...args: unknown[]): unknown {
    if (!excluded.has(this)) {
      state.redisCommands += 1;
      bump(state.byRedisCommand, String((args[0] as { name?: unknown } | undefined)?.name ?? '?'));
    }
    return sendCommand.apply(this, args);
  };

  // RSS peaks between snapshots are what a sizing decision needs, not just the value at the end.
  setInterval(() => {
    state.maxRss = Math.max(state.maxRss, process.memoryUsage.rss());
  }, 100).unref();
}

export function readCounters(): Counters {
  const cpu = process.cpuUsage();
  const rss = process.memoryUsage.rss();
  state.maxRss = Math.max(state.maxRss, rss);
  const cache = cacheSource?.() ?? { hits: 0, misses: 0, stale: 0 };
  const counters: Counters = {
    cacheHits: cache.hits,
    cacheLookups: cache.hits + cache.misses + cache.stale,
    statements: state.statements,
    roundTrips: state.roundTrips,
    byStatement: Object.fromEntries(state.byStatement),
    poolCheckouts: state.poolCheckouts,
    poolWaitMs: state.poolWaitMs,
    redisCommands: state.redisCommands,
    byRedisCommand: Object.fromEntries(state.byRedisCommand),
    cpuMs: (cpu.user + cpu.system) / 1000,
    rssBytes: rss,
    maxRssBytes: state.maxRss,
  };
  // A peak is per interval: the next snapshot starts from the current size.
  state.maxRss = rss;
  return counters;
}

/** `after - before`, key by key; the memory figures are those of `after`. */
export function diffCounters(before: Counters, after: Counters): Counters {
  const diffMap = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(b)
        .map(([k, v]) => [k, v - (a[k] ?? 0)] as const)
        .filter(([, v]) => v > 0),
    );
  return {
    statements: after.statements - before.statements,
    roundTrips: after.roundTrips - before.roundTrips,
    byStatement: diffMap(before.byStatement, after.byStatement),
    poolCheckouts: after.poolCheckouts - before.poolCheckouts,
    poolWaitMs: after.poolWaitMs - before.poolWaitMs,
    redisCommands: after.redisCommands - before.redisCommands,
    byRedisCommand: diffMap(before.byRedisCommand, after.byRedisCommand),
    cpuMs: after.cpuMs - before.cpuMs,
    rssBytes: after.rssBytes,
    maxRssBytes: after.maxRssBytes,
    cacheHits: after.cacheHits - before.cacheHits,
    cacheLookups: after.cacheLookups - before.cacheLookups,
  };
}

/** The sum over several processes (the scale-out run); memory figures are summed too (total footprint). */
export function sumCounters(all: readonly Counters[]): Counters {
  const sumMap = (maps: ReadonlyArray<Record<string, number>>) => {
    const out: Record<string, number> = {};
    for (const m of maps) for (const [k, v] of Object.entries(m)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  const sum = (pick: (c: Counters) => number) => all.reduce((s, c) => s + pick(c), 0);
  return {
    statements: sum((c) => c.statements),
    roundTrips: sum((c) => c.roundTrips),
    byStatement: sumMap(all.map((c) => c.byStatement)),
    poolCheckouts: sum((c) => c.poolCheckouts),
    poolWaitMs: sum((c) => c.poolWaitMs),
    redisCommands: sum((c) => c.redisCommands),
    byRedisCommand: sumMap(all.map((c) => c.byRedisCommand)),
    cpuMs: sum((c) => c.cpuMs),
    rssBytes: sum((c) => c.rssBytes),
    maxRssBytes: sum((c) => c.maxRssBytes),
    cacheHits: sum((c) => c.cacheHits),
    cacheLookups: sum((c) => c.cacheLookups),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Child-process side: answer the bench over IPC.

type Request =
  | { id: number; cmd: 'counters' }
  | { id: number; cmd: 'start'; processKey: string; variables: Record<string, unknown> };

function serveBench(): void {
  let app: INestApplicationContext | undefined;
  // Keep the app the entry point creates: the bench starts instances through its InstanceService.
  const factory = NestFactory as unknown as Record<
    'create' | 'createApplicationContext',
    (...args: unknown[]) => Promise<unknown>
  >;
  for (const method of ['create', 'createApplicationContext'] as const) {
    const original = factory[method];
    factory[method] = async function captured(this: unknown, ...args: unknown[]) {
      app = (await original.apply(this, args)) as INestApplicationContext;
      return app;
    };
  }
  process.on('message', (message: Request) => {
    const reply = (body: Record<string, unknown>) => process.send?.({ id: message.id, ...body });
    if (message.cmd === 'counters') {
      void (async () => {
        if (app && !cacheSource) {
          const { InstanceService } = await import('../src/instances/instance.service.js');
          const instances = app.get(InstanceService);
          countCacheOf(() => instances.engineCacheStats());
        }
        reply({ counters: readCounters() });
      })().catch((err: unknown) => reply({ error: String(err) }));
      return;
    }
    if (message.cmd === 'start') {
      // Loaded on demand: requiring it at preload time would load the app's modules before its entry does.
      void (async () => {
        if (!app) throw new Error('the service has not started');
        const { InstanceService } = await import('../src/instances/instance.service.js');
        const instance = await app.get(InstanceService).start(message.processKey, message.variables);
        reply({ instanceId: instance.id });
      })().catch((err: unknown) => reply({ error: String(err) }));
    }
  });
}

if (process.env.BENCH_CHILD === '1' && typeof process.send === 'function') {
  installCounters();
  serveBench();
}
