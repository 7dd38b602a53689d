// The legacy database an import reads from: a schema holding one tenant's tables (docs/import.md).
// Checks of the operator's input and what the schema holds, read through the catalog; nothing here
// writes to the legacy database.

import { quoteIdent, type SqlQueryable } from '../../../src/db/sql.ts';
import { textProblem } from '../../../src/domain/bounds.ts';
import { AppError } from '../../../src/errors.ts';

const SCHEMA = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** A legacy schema name: an unquoted-style identifier, never a system schema. */
export function requireLegacySchema(value: unknown): string {
  if (typeof value !== 'string' || !SCHEMA.test(value)) {
    throw new AppError(
      'invalid_input',
      `invalid schema ${JSON.stringify(String(value ?? '').slice(0, 70))}: use 1-63 letters, digits and '_', not starting with a digit (--schema)`,
    );
  }
  if (/^pg_/i.test(value) || value.toLowerCase() === 'information_schema') {
    throw new AppError('invalid_input', `schema ${value} is a system schema, not a tenant's`);
  }
  return value;
}

/** The legacy database's URL: postgres://user[:password]@host[:port]/database. */
export function requireSourceUrl(value: unknown): string {
  const usage =
    'the legacy database URL must look like postgres://user:password@host:5432/legacy (--from-url)';
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 2000 ||
    textProblem(value) !== undefined
  )
    throw new AppError('invalid_input', usage);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new AppError('invalid_input', `${usage}; it is not a URL`);
  }
  if ((u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') || !u.hostname || u.pathname.length <= 1)
    throw new AppError('invalid_input', `${usage}; it needs postgres://, a host and a database`);
  return value;
}

/** Where the legacy database is, for messages and the audit trail: host:port/database, never credentials. */
export function sourceLabel(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || '5432'}/${decodeURIComponent(u.pathname.slice(1))}`;
}

export interface ColumnShape {
  name: string;
  type: string;
}

/** Tables (ordinary and partitioned) of a schema and their columns in column order. */
export type Structure = Map<string, ColumnShape[]>;

/** The migration ledger the tenant migration runner leaves, when the legacy schema has one. */
export const LEDGER_TABLE = 'schema_migrations';

export async function readStructure(db: SqlQueryable, schema: string): Promise<Structure> {
  const rows = await db.query<{ table_name: string; column_name: string; type: string }>(
    `SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      ORDER BY c.relname, a.attnum`,
    [schema],
  );
  const structure: Structure = new Map();
  for (const r of rows) {
    if (r.table_name === LEDGER_TABLE) continue;
    const cols = structure.get(r.table_name) ?? [];
    cols.push({ name: r.column_name, type: r.type });
    structure.set(r.table_name, cols);
  }
  return structure;
}

export async function schemaExists(db: SqlQueryable, schema: string): Promise<boolean> {
  return (await db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).length === 1;
}

/** The tenant migrations the legacy schema's ledger records (version → checksum), if it has a ledger. */
export async function readLedger(db: SqlQueryable, schema: string): Promise<Map<number, string> | undefined> {
  const [has] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind = 'r'`,
    [schema, LEDGER_TABLE],
  );
  if (Number(has?.n ?? 0) === 0) return undefined;
  const rows = await db.query<{ version: number | string; checksum: string }>(
    `SELECT version, checksum FROM ${quoteIdent(schema)}.${LEDGER_TABLE} WHERE component = 'tenant' ORDER BY version`,
  );
  if (rows.length === 0) return undefined;
  return new Map(rows.map((r) => [Number(r.version), r.checksum]));
}

/** One setting of the legacy tenant, if its `settings` table has it. */
export async function legacySetting(
  db: SqlQueryable,
  schema: string,
  key: string,
): Promise<string | undefined> {
  try {
    const rows = await db.query<{ value: string }>(
      `SELECT value FROM ${quoteIdent(schema)}.settings WHERE key = $1`,
      [key],
    );
    return rows[0]?.value;
  } catch {
    return undefined;
  }
}
