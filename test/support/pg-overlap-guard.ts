import { Client } from 'pg';

/**
 * Fails the test during which a query was sent on a PostgreSQL connection that was still running another
 * (e.g. `Promise.all` over queries of one transaction's EntityManager). node-postgres queues such a query and,
 * from the third at once, prints a deprecation warning once per process; pg 9 refuses it. Here the second is
 * enough, and every occurrence counts, with the stack of the query that overlapped.
 */

interface ClientInternals {
  _activeQuery?: unknown;
  _queryQueue?: unknown[];
}

const overlaps: string[] = [];
/** How many excused calls run now (see `excusingOverlaps`). */
let excused = 0;
const query: (...args: unknown[]) => unknown = Client.prototype.query;

Client.prototype.query = function (this: Client & ClientInternals, ...args: unknown[]) {
  if (excused === 0 && (this._activeQuery || (this._queryQueue?.length ?? 0) > 0)) {
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
    overlaps.push(
      `${String(text).replace(/\s+/g, ' ').slice(0, 160)}\n${new Error('sent while another query ran').stack}`,
    );
  }
  return query.apply(this, args);
} as typeof Client.prototype.query;

/**
 * Runs `work` without counting its overlaps: for a library's own queries that overlap and that the project
 * cannot change (TypeORM's schema comparison reads its tables with `Promise.all` on one connection).
 */
export async function excusingOverlaps<T>(work: () => Promise<T>): Promise<T> {
  excused += 1;
  try {
    return await work();
  } finally {
    excused -= 1;
  }
}

function noOverlap(): void {
  if (overlaps.length === 0) return;
  const found = overlaps.splice(0);
  throw new Error(
    `${found.length} quer${found.length === 1 ? 'y was' : 'ies were'} sent on a PostgreSQL connection ` +
      `while it ran another (run them one after the other):\n\n${found.join('\n\n')}`,
  );
}

afterEach(noOverlap);
afterAll(noOverlap);
