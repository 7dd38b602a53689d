// Copying a legacy schema's tables into the new tenant database, and checking the copy: row counts
// and an order-independent checksum per table, computed the same way on both sides.
import type pg from 'pg';
import { quoteIdent, type SqlQueryable } from '../../../src/db/sql.ts';
import { AppError } from '../../../src/errors.ts';
import { clientQueryable, pipeCopy } from './copy-stream.ts';
import type { Structure } from './legacy-source.ts';

export interface TableCopy {
  table: string;
  rows: number;
  /** Sum of each row's 64-bit hash (hashtextextended of its text, columns in name order), in decimal. */
  checksum: string;
}

/**
 * The target's tables in an order where every table comes after the tables its foreign keys name,
 * so rows are inserted with every constraint checked as they go.
 */
export async function insertOrder(target: SqlQueryable, tables: readonly string[]): Promise<string[]> {
  const rows = await target.query<{ child: string; parent: string }>(
    `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE c.contype = 'f' AND n.nspname = 'public'`,
  );
  const parents = new Map<string, Set<string>>(tables.map((t) => [t, new Set()]));
  for (const r of rows) if (r.child !== r.parent) parents.get(r.child)?.add(r.parent);
  const done: string[] = [];
  const seen = new Set<string>();
  const visit = (t: string) => {
    if (seen.has(t)) return;
    seen.add(t);
    for (const p of [...(parents.get(t) ?? [])].sort()) visit(p);
    done.push(t);
  };
  for (const t of [...tables].sort()) visit(t);
  return done.filter((t) => parents.has(t));
}

/** `count(*)` and the checksum of one table, the same query on the legacy and the new side. */
export async function tableChecksum(
  db: SqlQueryable,
  qualified: string,
  columns: readonly string[],
): Promise<{ rows: number; checksum: string }> {
  const row = `ROW(${[...columns].sort().map(quoteIdent).join(', ')})::text`;
  const [r] = await db.query<{ n: string; sum: string }>(
    `SELECT count(*)::text AS n,
            coalesce(sum(hashtextextended(${row}, 0)::numeric), 0)::text AS sum
       FROM ${qualified} t`,
  );
  return { rows: Number(r?.n ?? 0), checksum: r?.sum ?? '0' };
}

/**
 * Copies every table of `structure` from `schema` on the legacy side (`source`, a session whose
 * transaction holds the tables locked) into the new database (`target`, one transaction), with COPY.
 * User triggers of the target (stock on hand) are off for the copy: their tables are copied as they
 * are. Foreign keys, checks, NOT NULL and unique constraints are all checked; a row that breaks one
 * refuses the import.
 */
export async function copyTables(
  source: pg.PoolClient,
  target: pg.PoolClient,
  schema: string,
  structure: Structure,
): Promise<TableCopy[]> {
  const tx = clientQueryable(target);
  const order = await insertOrder(tx, [...structure.keys()]);
  const triggered = (
    await tx.query<{ table_name: string }>(
      `SELECT DISTINCT c.relname AS table_name FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND NOT g.tgisinternal`,
    )
  ).map((r) => r.table_name);
  for (const t of triggered) await tx.exec(`ALTER TABLE public.${quoteIdent(t)} DISABLE TRIGGER USER`);
  // As pg_restore does: foreign keys and plain indexes are taken off for the load and put back after
  // it (one validating join and one sort each, not a check and an insertion per row). Primary keys
  // and unique constraints stay on. Putting a foreign key back checks every copied row.
  const deferred = await deferredObjects(tx);
  for (const k of [...deferred.foreignKeys, ...deferred.keys])
    await tx.exec(`ALTER TABLE public.${quoteIdent(k.table)} DROP CONSTRAINT ${quoteIdent(k.name)}`);
  for (const ix of deferred.indexes) await tx.exec(`DROP INDEX public.${quoteIdent(ix.name)}`);
  const copies: TableCopy[] = [];
  for (const table of order) {
    const list = structure
      .get(table)!
      .map((c) => quoteIdent(c.name))
      .join(', ');
    let rows: number;
    try {
      rows = await pipeCopy(
        source,
        `SELECT ${list} FROM ${quoteIdent(schema)}.${quoteIdent(table)}`,
        target,
        `public.${quoteIdent(table)} (${list})`,
      );
    } catch (err) {
      throw refusedRow(table, err);
    }
    copies.push({ table, rows, checksum: '' });
  }
  for (const ix of deferred.indexes) {
    try {
      await tx.exec(ix.definition);
    } catch (err) {
      throw refusedRow(ix.table, err);
    }
  }
  for (const k of [...deferred.keys, ...deferred.foreignKeys]) {
    try {
      await tx.exec(
        `ALTER TABLE public.${quoteIdent(k.table)} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.definition}`,
      );
    } catch (err) {
      throw refusedRow(k.table, err);
    }
  }
  for (const t of triggered) await tx.exec(`ALTER TABLE public.${quoteIdent(t)} ENABLE TRIGGER USER`);
  return copies;
}

interface Constraint {
  table: string;
  name: string;
  definition: string;
}

/**
 * What the load goes faster without: the target's foreign keys, its primary keys and unique
 * constraints, and every other index, with their definitions. Checks and NOT NULL stay on.
 */
async function deferredObjects(
  tx: SqlQueryable,
): Promise<{ foreignKeys: Constraint[]; keys: Constraint[]; indexes: Constraint[] }> {
  const constraints = await tx.query<Constraint & { type: string }>(
    `SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.contype AS type,
            pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE c.contype IN ('f', 'p', 'u') AND n.nspname = 'public' ORDER BY 1, 2`,
  );
  const indexes = await tx.query<Constraint>(
    `SELECT i.indrelid::regclass::text AS table, ic.relname AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
      WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
      ORDER BY 1, 2`,
  );
  return {
    foreignKeys: constraints.filter((c) => c.type === 'f'),
    keys: constraints.filter((c) => c.type !== 'f'),
    indexes,
  };
}

/** Compares counts and checksums of every table on both sides; throws `operation_failed` naming the tables that differ. */
export async function verifyCopy(
  source: SqlQueryable,
  target: SqlQueryable,
  schema: string,
  structure: Structure,
): Promise<TableCopy[]> {
  const out: TableCopy[] = [];
  const bad: string[] = [];
  for (const [table, cols] of [...structure].sort(([a], [b]) => a.localeCompare(b))) {
    const columns = cols.map((c) => c.name);
    const [legacy, copied] = await Promise.all([
      tableChecksum(source, `${quoteIdent(schema)}.${quoteIdent(table)}`, columns),
      tableChecksum(target, `public.${quoteIdent(table)}`, columns),
    ]);
    if (legacy.rows !== copied.rows || legacy.checksum !== copied.checksum) {
      bad.push(
        `${table} (legacy ${legacy.rows} rows, copy ${copied.rows} rows${legacy.rows === copied.rows ? ', checksums differ' : ''})`,
      );
    }
    out.push({ table, ...legacy });
  }
  if (bad.length > 0) {
    throw new AppError(
      'operation_failed',
      `the copy does not match the legacy schema: ${bad.join(', ')}; nothing was switched`,
    );
  }
  return out;
}

/** A row the tenant schema refuses (constraint or value): bad input, named by table and constraint. */
function refusedRow(table: string, err: unknown): unknown {
  const e = err as { code?: string; constraint?: string; detail?: string; message?: string };
  if (typeof e.code === 'string' && (e.code.startsWith('23') || e.code.startsWith('22'))) {
    const what = e.constraint ? `breaks constraint ${e.constraint}` : `is refused (${e.message ?? e.code})`;
    return new AppError(
      'invalid_input',
      `legacy table ${table}: a row ${what}${e.detail ? `: ${e.detail.slice(0, 300)}` : ''}; fix the legacy data and run the import again`,
      { table, constraint: e.constraint ?? null, sqlstate: e.code },
    );
  }
  return err;
}
