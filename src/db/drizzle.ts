// drizzle's query builder over any `SqlQueryable` — a pg pool, a leased PGlite instance or an open
// transaction of either — through drizzle's proxy driver. Transactions stay with `SqlDatabase`
// (locks, SET LOCAL and all); build one of these per transaction: `pgDrizzle(tx)`.
import { drizzle, type PgRemoteDatabase } from 'drizzle-orm/pg-proxy';
import type { SqlQueryable } from './sql.ts';

export type PgDrizzle = PgRemoteDatabase<Record<string, never>>;

export function pgDrizzle(q: SqlQueryable): PgDrizzle {
  return drizzle(async (sql, params, method) => ({
    rows: method === 'all' ? await q.queryArrays(sql, params) : await q.query(sql, params),
  }));
}
