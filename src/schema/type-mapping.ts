// The one place the cloud ↔ edge type mapping is written down. Each logical kind of column has a
// Postgres type (cloud, PGlite) and a SQLite declared type (edge); the table declarations of
// src/schema/tables/ name these kinds, src/schema/pg/table.ts and src/schema/sqlite/table.ts give each
// its drizzle column, and migrations and the parity test (test/contract/schema-parity.test.ts) follow it.

export const columnKinds = {
  /** Identifiers, codes, names, JSON documents kept as text. */
  text: { postgres: 'text', sqlite: 'TEXT' },
  /** Small whole numbers: basis points, line numbers, schema versions. */
  integer: { postgres: 'integer', sqlite: 'INTEGER' },
  /** Money in minor units, quantities in thousandths, sequence numbers: 64-bit. */
  bigint: { postgres: 'bigint', sqlite: 'INTEGER' },
  /** true/false; SQLite stores 1/0. */
  boolean: { postgres: 'boolean', sqlite: 'INTEGER' },
  /** An instant, always UTC: timestamptz in Postgres, ISO-8601 text ("2026-11-27T10:21:05.000Z") in SQLite. */
  instant: { postgres: 'timestamp with time zone', sqlite: 'TEXT' },
  /** A calendar date (a branch's local business date): date in Postgres, "YYYY-MM-DD" text in SQLite. */
  date: { postgres: 'date', sqlite: 'TEXT' },
} as const;

export type ColumnKind = keyof typeof columnKinds;

/** The SQLite declared type that corresponds to a Postgres type (as information_schema spells it). */
export function sqliteTypeFor(postgresType: string): string | undefined {
  return Object.values(columnKinds).find((k) => k.postgres === postgresType)?.sqlite;
}
