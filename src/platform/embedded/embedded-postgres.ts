import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PostgreSQL in this process: PGlite (Postgres compiled to WebAssembly) keeping its files in `dataDir`, served
 * over the wire protocol on a free loopback port so TypeORM's ordinary `pg` driver talks to it.
 *
 * PGlite has ONE backend session. pglite-socket 0.2.x accepts at most `maxConnections` sockets and queues their
 * protocol messages one by one onto that session. We allow exactly one socket and give TypeORM a pool of exactly
 * one connection (see EMBEDDED_POOL_SIZE): every transaction then runs whole, one after another, as on a server
 * with a single connection; no other process can connect while the service holds it.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    /** postgres://postgres@127.0.0.1:<port>/postgres */
    readonly url: string,
  ) {}

  static async start(dataDir: string): Promise<EmbeddedPostgres> {
    // PGlite creates the folder itself but not its parents; a fresh folder gets initdb (a few seconds).
    await mkdir(dataDir, { recursive: true });
    const db = await PGlite.create({ dataDir });
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
    try {
      await server.start();
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
    const port = server.getServerConn().split(':').pop();
    return new EmbeddedPostgres(db, server, `postgres://postgres@127.0.0.1:${port}/postgres`);
  }

  /** Stop serving and shut PostgreSQL down cleanly (checkpoint), so the next start needs no recovery. */
  async stop(): Promise<void> {
    await this.server.stop();
    if (!this.db.closed) await this.db.close();
  }
}

/** The pool size the embedded database must be used with: one connection, one transaction at a time. */
export const EMBEDDED_POOL_SIZE = 1;
