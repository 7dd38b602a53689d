// The tables of a tenant database as a move sees them: their names and columns, emptying them on the
// target, setting its sequences, and the row count and checksum of each (compared source vs target):
// counts alone inside an online move's freeze, checksums too (see verify.ts).
import { quoteIdent, type SqlQueryable } from '../../../src/db/sql.ts';

export interface TableInfo {
  name: string;
  /** Column names, sorted: the checksum's row text does not depend on column order. */
  columns: string[];
  /** Columns a copy writes (not generated), in table order. */
  insertable: string[];
  hasKey: boolean;
}

/** The tenant's tables (schema public), by name. */
export async function listTables(db: SqlQueryable): Promise<TableInfo[]> {
  const rows = await db.query<{ name: string; columns: string[]; insertable: string[]; has_key: boolean }>(
    `SELECT c.relname AS name,
            array(SELECT a.attname::text FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attname) AS columns,
            array(SELECT a.attname::text FROM pg_attribute a
                   WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                   ORDER BY a.attnum) AS insertable,
            (c.relreplident IN ('f', 'i') OR EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)) AS has_key
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname`,
  );
  return rows.map((r) => ({ name: r.name, columns: r.columns, insertable: r.insertable, hasKey: r.has_key }));
}

export const tableList = (tables: readonly TableInfo[]) =>
  tables.map((t) => `public.${quoteIdent(t.name)}`).join(', ');

/** Empties every tenant table on the target (what the template's migrations put there comes from the source). */
export async function emptyTables(db: SqlQueryable, tables: readonly TableInfo[]): Promise<void> {
  if (tables.length > 0) await db.exec(`TRUNCATE ${tableList(tables)}`);
}

export interface SequenceValue {
  name: string;
  lastValue: number | string | null;
  isCalled: boolean;
}

export async function readSequences(db: SqlQueryable): Promise<SequenceValue[]> {
  const rows = await db.query<{ name: string; last_value: string | null }>(
    "SELECT sequencename AS name, last_value::text AS last_value FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1",
  );
  return rows.map((r) => ({ name: r.name, lastValue: r.last_value, isCalled: r.last_value !== null }));
}

/** Logical replication and the copy carry rows, not sequences: the target's are set to the source's. */
export async function setSequences(db: SqlQueryable, values: readonly SequenceValue[]): Promise<void> {
  for (const s of values) {
    if (s.lastValue === null) continue;
    await db.query(`SELECT setval($1::regclass, $2::bigint, true)`, [
      `public.${quoteIdent(s.name)}`,
      s.lastValue,
    ]);
  }
}

export interface TableSum {
  table: string;
  rows: number;
  /** Sum of a 60-bit slice of each row's md5 (order-independent), as text. */
  checksum: string;
}

/**
 * Starts a REPEATABLE READ transaction with the session's text formats pinned, so two servers with
 * other TimeZone or DateStyle settings render the same row the same way (the first query after it
 * takes the snapshot).
 */
export async function pinTextFormats(tx: SqlQueryable): Promise<void> {
  await tx.exec(
    `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;
     SET LOCAL TimeZone = 'UTC'; SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL IntervalStyle = 'postgres';
     SET LOCAL extra_float_digits = 1; SET LOCAL bytea_output = 'hex'`,
  );
}

export interface TableCount {
  table: string;
  rows: number;
}

/** Row count of each table, in one query (one snapshot). */
export async function tableCounts(db: SqlQueryable, tables: readonly TableInfo[]): Promise<TableCount[]> {
  if (tables.length === 0) return [];
  const rows = await db.query<{ n: number; rows: string }>(
    tables
      .map((t, i) => `SELECT ${i} AS n, count(*)::text AS rows FROM public.${quoteIdent(t.name)}`)
      .join(' UNION ALL '),
  );
  const byIndex = new Map(rows.map((r) => [Number(r.n), Number(r.rows)]));
  return tables.map((t, i) => ({ table: t.name, rows: byIndex.get(i) ?? 0 }));
}

/** Row count and checksum of each table, inside a transaction that `pinTextFormats` started. */
export async function sumsIn(tx: SqlQueryable, tables: readonly TableInfo[]): Promise<TableSum[]> {
  const sums: TableSum[] = [];
  for (const t of tables) {
    const row = `row(${t.columns.map((c) => `t.${quoteIdent(c)}`).join(', ')})::text`;
    const [r] = await tx.query<{ rows: string; checksum: string }>(
      `SELECT count(*)::text AS rows,
              coalesce(sum(('x' || substr(md5(${row}), 1, 15))::bit(60)::bigint), 0)::text AS checksum
         FROM public.${quoteIdent(t.name)} t`,
    );
    sums.push({ table: t.name, rows: Number(r?.rows ?? 0), checksum: r?.checksum ?? '0' });
  }
  return sums;
}

/** Row count and checksum of each table, in one snapshot, text formats pinned. */
export async function tableSums(
  db: { transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> },
  tables: readonly TableInfo[],
): Promise<TableSum[]> {
  return db.transaction(async (tx) => {
    await pinTextFormats(tx);
    return sumsIn(tx, tables);
  });
}

/** The tables whose row count (and checksum, when both sides have one) differ between the two sides. */
export function mismatches<T extends TableCount & { checksum?: string }>(
  source: readonly T[],
  target: readonly T[],
): string[] {
  const byTable = new Map(target.map((t) => [t.table, t]));
  return source
    .filter((s) => {
      const t = byTable.get(s.table);
      return !t || t.rows !== s.rows || t.checksum !== s.checksum;
    })
    .map((s) => s.table);
}
