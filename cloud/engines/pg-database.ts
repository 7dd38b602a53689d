// `SqlDatabase` over a node-postgres pool.
import pg from 'pg';
import type { ClosableSqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import { typeParsers } from '../../src/db/type-parsers.ts';

let typeParsersRegistered = false;

/**
 * Makes node-postgres return the same value shapes as PGlite and the edge (src/db/type-parsers.ts).
 * Its type parsers are global to the `pg` module, so this is an explicit call, made by
 * createPgDatabase before it opens a pool (never as a side effect of importing this file); idempotent.
 */
export function registerPgTypeParsers(): void {
  if (typeParsersRegistered) return;
  for (const [oid, parse] of Object.entries(typeParsers)) pg.types.setTypeParser(Number(oid), parse);
  typeParsersRegistered = true;
}

export interface PgPoolOptions {
  connectionString: string;
  max: number;
  idleTimeoutMillis?: number;
  connectionTimeoutMillis?: number;
  applicationName?: string;
}

function queryable(client: pg.Pool | pg.PoolClient): SqlQueryable {
  return {
    query: async <Row>(sql: string, params?: readonly unknown[]) => {
      const result = await client.query(sql, params ? [...params] : undefined);
      return result.rows as Row[];
    },
    exec: async (sql: string) => {
      await client.query(sql);
    },
    queryArrays: async (sql: string, params?: readonly unknown[]) => {
      const result = await client.query({ text: sql, values: params ? [...params] : [], rowMode: 'array' });
      return result.rows as unknown[][];
    },
  };
}

export function createPgDatabase(options: PgPoolOptions): ClosableSqlDatabase & { pool: pg.Pool } {
  registerPgTypeParsers();
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max,
    idleTimeoutMillis: options.idleTimeoutMillis ?? 10_000,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
    application_name: options.applicationName ?? 'modernpos',
  });
  // An idle client losing its server (restart, pg_terminate_backend) must not crash the process;
  // the pool drops it and the next query opens a fresh one.
  pool.on('error', () => {});
  // pool.end() resolves before its connections have closed; CREATE DATABASE … TEMPLATE and DROP
  // DATABASE right after a close would see them and wait, so close() waits for each 'end'.
  const ended = new Set<Promise<void>>();
  pool.on('connect', (client) => {
    // Every client hears its own 'error' for life. Until it is ready the pool hands its errors to
    // the connect callback; from here ('connect' runs before the client is handed out) the pool's own
    // listener is removed while the client is out, and the server can end the session in the same
    // read as its ready message, before the caller has resumed: unheard, that 'error' would exit the
    // process with every tenant on it. The work on the client then fails as a connection failure
    // (not queryable → tenant_unavailable) and the pool discards the client.
    client.on('error', () => {});
    const done: Promise<void> = new Promise<void>((resolve) => client.once('end', () => resolve())).then(
      () => {
        ended.delete(done);
      },
    );
    ended.add(done);
  });
  const base = queryable(pool);
  let closed = false;
  return {
    pool,
    ...base,
    async transaction(fn) {
      const client = await pool.connect();
      // A client whose server went away (restart, pg_terminate_backend) is discarded, never returned
      // to the pool; its 'error' is heard by the listener every client gets at birth (above).
      let broken = false;
      const onError = () => {
        broken = true;
      };
      client.on('error', onError);
      try {
        await client.query('BEGIN');
        const result = await fn(queryable(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true;
        }
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
      const timeout = new Promise((resolve) => setTimeout(resolve, 2_000).unref());
      await Promise.race([Promise.all(ended), timeout]);
    },
  };
}
