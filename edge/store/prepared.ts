// Prepared drizzle statements for the hot path. Building a query costs ~50 µs and running a prepared
// one ~5–10 µs; a sale runs about ten statements inside one fsync'd commit, so every statement the
// store runs per request is prepared once when the store opens.
import { getTableColumns, type InferInsertModel, sql } from 'drizzle-orm';
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
  const nulls = Object.fromEntries(keys.map((k) => [k, null]));
  // The placeholders stand for every column: each left out of the row is bound as NULL.
  const statement = db
    .insert(table)
    .values(values as InferInsertModel<T>)
    .prepare();
  return {
    run: (row: InferInsertModel<T>) => statement.run({ ...nulls, ...(row as Record<string, unknown>) }),
  };
}
