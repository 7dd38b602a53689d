// The one seam every SQL engine sits behind: pg pools, PGlite instances and (for migrations)
// better-sqlite3. Deliberately tiny so the embedded engine can lease an instance per call.

/** Something that runs SQL: a database handle or an open transaction. */
export interface SqlQueryable {
  /** Runs one parameterised statement ($1, $2 … placeholders) and returns its rows. */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of one or more statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Like `query`, but each row is an array of column values in select order (what drizzle reads). */
  queryArrays(sql: string, params?: readonly unknown[]): Promise<unknown[][]>;
}

/** A database: queries from a pool (or leased instance), and transactions pinned to one session. */
export interface SqlDatabase extends SqlQueryable {
  /** Runs `fn` in one transaction on one session; commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
}

/** A database handle that owns its connections and must be closed. */
export interface ClosableSqlDatabase extends SqlDatabase {
  close(): Promise<void>;
}

/** Quotes an SQL identifier. Callers validate names first; this makes quoting total anyway. */
export function quoteIdent(name: string): string {
  if (name.includes('\u0000')) throw new Error('identifier contains a NUL byte');
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes an SQL string literal (standard_conforming_strings on, as on every supported engine). */
export function quoteLiteral(value: string): string {
  if (value.includes('\u0000')) throw new Error('literal contains a NUL byte');
  return `'${value.replaceAll("'", "''")}'`;
}
