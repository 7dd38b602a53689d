// Loads a `tenant export` file back into an empty database migrated to the same schema version:
// the proof that an export is a usable backup. One transaction, parents before children,
// set-based inserts (jsonb_populate_recordset), so a failed load leaves nothing behind.
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { extract } from 'tar';
import { z } from 'zod';
import { quoteIdent, type SqlDatabase, type SqlQueryable } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import { EXPORT_FORMAT, tenantSchemaVersion } from './export.ts';

const manifestSchema = z.object({
  format: z.literal(EXPORT_FORMAT),
  formatVersion: z.literal(1),
  orgId: z.string(),
  name: z.string().optional(),
  exportedAt: z.string().optional(),
  schemaVersion: z.number().int().nonnegative(),
  tables: z.array(
    z.object({
      name: z.string().regex(/^[a-z0-9_]+$/),
      file: z.string().regex(/^[a-z0-9_]+\.ndjson$/),
      rows: z.number().int(),
    }),
  ),
});

const BATCH = 500;

/**
 * Tables the database keeps itself from others (stock_on_hand: a trigger sums stock_movements as
 * they are inserted). Loading them too would count twice; they are rebuilt and then checked against
 * the export instead.
 */
const DERIVED_TABLES = new Set(['stock_on_hand']);

export type ExportManifestOnDisk = z.infer<typeof manifestSchema>;

/** Unpacks `file` into `dir` and returns its manifest; `invalid_input` if it is not a tenant export. */
export async function readTenantExport(file: string, dir: string): Promise<ExportManifestOnDisk> {
  try {
    await extract({ file, cwd: dir, strict: true });
    return manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  } catch {
    throw new AppError('invalid_input', `${file} is not a ModernPOS tenant export or backup`);
  }
}

export async function loadTenantExport(
  db: SqlDatabase,
  file: string,
): Promise<{ tables: number; rows: number }> {
  const work = mkdtempSync(join(tmpdir(), 'modernpos-restore-'));
  try {
    const manifest = await readTenantExport(file, work);
    return await db.transaction(async (tx) => {
      const current = await tenantSchemaVersion(tx);
      if (current !== manifest.schemaVersion) {
        throw new AppError(
          'conflict',
          `the export is at schema ${manifest.schemaVersion} but the database is at ${current}; migrate it to match first`,
        );
      }
      return loadTables(tx, work, manifest);
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Loads the unpacked export in `dir` into the empty tables of the database `tx` is on (same schema
 * version), parents first, and checks every count against the manifest. Runs in the caller's transaction.
 */
export async function loadTables(
  tx: SqlQueryable,
  dir: string,
  manifest: ExportManifestOnDisk,
): Promise<{ tables: number; rows: number }> {
  const tables = manifest.tables.filter((t) => t.name !== 'schema_migrations' && !DERIVED_TABLES.has(t.name));
  let rows = 0;
  for (const table of await parentsFirst(
    tx,
    tables.map((t) => t.name),
  )) {
    const entry = tables.find((t) => t.name === table)!;
    const loaded = await loadTable(tx, table, join(dir, entry.file));
    if (loaded !== entry.rows)
      throw new AppError(
        'invalid_input',
        `${entry.file} holds ${loaded} rows, the manifest says ${entry.rows}`,
      );
    rows += loaded;
  }
  for (const derived of manifest.tables.filter((t) => DERIVED_TABLES.has(t.name))) {
    const [rebuilt] = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${quoteIdent(derived.name)}`,
    );
    if (Number(rebuilt?.n ?? 0) !== derived.rows) {
      throw new AppError(
        'invalid_input',
        `${derived.name} rebuilt to ${rebuilt?.n ?? 0} rows, the export holds ${derived.rows}`,
      );
    }
    rows += derived.rows;
  }
  return { tables: tables.length, rows };
}

/** Orders tables so every foreign key's target is loaded before the table that refers to it. */
async function parentsFirst(tx: SqlQueryable, tables: string[]): Promise<string[]> {
  const edges = await tx.query<{ child: string; parent: string }>(
    `SELECT c.relname AS child, p.relname AS parent FROM pg_constraint k
     JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f' AND n.nspname = 'public' AND c.oid <> p.oid`,
  );
  const ordered: string[] = [];
  const visit = (table: string, path: Set<string>) => {
    if (ordered.includes(table) || path.has(table)) return;
    path.add(table);
    for (const e of edges) if (e.child === table && tables.includes(e.parent)) visit(e.parent, path);
    ordered.push(table);
  };
  for (const table of [...tables].sort()) visit(table, new Set());
  return ordered;
}

async function loadTable(tx: SqlQueryable, table: string, path: string): Promise<number> {
  const t = quoteIdent(table);
  const insert = `INSERT INTO ${t} OVERRIDING SYSTEM VALUE SELECT * FROM jsonb_populate_recordset(NULL::${t}, $1::jsonb)`;
  let batch: unknown[] = [];
  let count = 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    batch.push(JSON.parse(line));
    if (batch.length === BATCH) {
      await tx.query(insert, [JSON.stringify(batch)]);
      count += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) {
    await tx.query(insert, [JSON.stringify(batch)]);
    count += batch.length;
  }
  return count;
}
