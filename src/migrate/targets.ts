// Migration targets for the two SQL families: Postgres/PGlite (advisory lock keyed to the database)
// and SQLite (BEGIN IMMEDIATE takes the single writer lock, across processes too).
import type Database from 'better-sqlite3';
import { quoteIdent, type SqlDatabase, type SqlQueryable } from '../db/sql.ts';
import type { MigrationTarget } from './runner.ts';

/** Advisory-lock class id reserved for migrations; the object id is the database's oid. */
const MIGRATION_LOCK_CLASS = 0x4d50; // "MP"

export interface PostgresTargetOptions {
  /** Run the migrations as this role (SET LOCAL ROLE) so the objects they create belong to it. */
  role?: string;
}

export function postgresMigrationTarget(
  db: SqlDatabase,
  options: PostgresTargetOptions = {},
): MigrationTarget {
  return {
    dialect: 'postgres',
    lockedTransaction: (fn) =>
      db.transaction(async (tx) => {
        await tx.query(
          'SELECT pg_advisory_xact_lock($1::int, (SELECT oid::int FROM pg_database WHERE datname = current_database()))',
          [MIGRATION_LOCK_CLASS],
        );
        if (options.role) await tx.exec(`SET LOCAL ROLE ${quoteIdent(options.role)}`);
        return fn(tx);
      }),
  };
}

/** `$n` placeholders become positional `?`s, each bound to its parameter in order of appearance. */
function positional(sql: string, params: readonly unknown[]): { text: string; values: unknown[] } {
  const order: number[] = [];
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
    order.push(Number(n) - 1);
    return '?';
  });
  const values = order.map((i) => {
    const p = params[i];
    return typeof p === 'boolean' ? Number(p) : p;
  });
  return { text, values };
}

/** better-sqlite3 behind the async `SqlQueryable` shape, for code shared with the Postgres side. */
export function sqliteQueryable(db: Database.Database): SqlQueryable {
  return {
    query: async <Row>(sql: string, params: readonly unknown[] = []) => {
      const { text, values } = positional(sql, params);
      const stmt = db.prepare(text);
      if (stmt.reader) return stmt.all(...values) as Row[];
      stmt.run(...values);
      return [];
    },
    exec: async (sql: string) => {
      db.exec(sql);
    },
    queryArrays: async (sql: string, params: readonly unknown[] = []) => {
      const { text, values } = positional(sql, params);
      return db
        .prepare(text)
        .raw(true)
        .all(...values) as unknown[][];
    },
  };
}

export function sqliteMigrationTarget(db: Database.Database): MigrationTarget {
  const q = sqliteQueryable(db);
  return {
    dialect: 'sqlite',
    lockedTransaction: async (fn) => {
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(q);
        db.exec('COMMIT');
        return result;
      } catch (err) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw err;
      }
    },
  };
}
