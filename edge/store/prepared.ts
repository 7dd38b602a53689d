// Prepared inserts for the hot path. Building a query costs ~50 µs and running a prepared drizzle
// one ~5–10 µs; a sale runs about ten statements inside one fsync'd commit, so every insert the store
// runs per request is built once when the store opens, and run straight on better-sqlite3 with each
// column's own encoder (drizzle's run would look up every parameter's kind again on each call).
import type Database from 'better-sqlite3';
import { getTableColumns, type InferInsertModel, is, Param, Placeholder, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';

/**
 * `INSERT INTO table (every column) VALUES (a placeholder each)`, run with a row. A nullable column
 * the row leaves out is NULL (columns only the cloud fills, such as a document's device seq); a
 * NOT NULL one left out is still refused by the table.
 */
export function preparedInsert<T extends SQLiteTable>(db: BetterSQLite3Database, table: T) {
  const keys = Object.keys(getTableColumns(table));
  const values = Object.fromEntries(keys.map((k) => [k, sql.placeholder(k)]));
  const query = db
    .insert(table)
    .values(values as InferInsertModel<T>)
    .toSQL();
  // Each parameter is a column's placeholder: its value is the row's field (NULL when left out),
  // encoded as drizzle encodes it (a boolean as 0/1, JSON as text).
  const params = query.params.map((p) => {
    if (!is(p, Param) || !is(p.value, Placeholder)) throw new Error(`${query.sql}: not a column placeholder`);
    const { encoder } = p;
    const name = p.value.name;
    if (encoder === undefined) throw new Error(`${query.sql}: no encoder for ${name}`);
    return { name, encoder };
  });
  // drizzle(sqlite) keeps its better-sqlite3 handle as $client (not on the declared type).
  const client = (db as { $client?: Database.Database }).$client;
  if (client === undefined) throw new Error('preparedInsert needs a drizzle database over better-sqlite3');
  const statement = client.prepare(query.sql);
  return {
    run: (row: InferInsertModel<T>) => {
      const fields = row as Record<string, unknown>;
      return statement.run(params.map((p) => p.encoder.mapToDriverValue(fields[p.name] ?? null)));
    },
  };
}
