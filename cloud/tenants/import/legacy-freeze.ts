// What an import does to the legacy schema: locks its tables SHARE for the copy (readable, not
// writable), revokes write privileges once the tenant has switched, and drops it on --decommission.
import { quoteIdent, type SqlDatabase, type SqlQueryable } from '../../../src/db/sql.ts';
import { AppError } from '../../../src/errors.ts';
import type { Structure } from './legacy-source.ts';
import type { Step } from './request.ts';

/**
 * Freezes the legacy tables inside the snapshot transaction `stx`: SHARE locks let the legacy
 * application read but make every write wait until the import has switched. Returns how many tables.
 */
export async function freezeLegacyTables(
  stx: SqlQueryable,
  schema: string,
  structure: Structure,
  lockTimeoutMs: number | undefined,
): Promise<number> {
  await stx.exec(
    `SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(lockTimeoutMs ?? 10_000))}; SET LOCAL idle_in_transaction_session_timeout = 0; SET LOCAL TimeZone = 'UTC'`,
  );
  const names = [...structure.keys()].sort().map((t) => `${quoteIdent(schema)}.${quoteIdent(t)}`);
  try {
    await stx.exec(`LOCK TABLE ${names.join(', ')} IN SHARE MODE`);
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') {
      throw new AppError(
        'conflict',
        `the legacy tables of schema ${schema} are being written and could not be frozen within ${lockTimeoutMs ?? 10_000} ms; stop the legacy application's writers and run the import again`,
      );
    }
    throw err;
  }
  return names.length;
}

/**
 * Takes INSERT, UPDATE, DELETE and TRUNCATE on the legacy tables from every role that holds them
 * (the owner included), so a legacy application still running cannot write into a schema whose
 * tenant now lives elsewhere. Reads stay allowed. Superusers are not stopped by privileges.
 */
export async function revokeLegacyWrites(db: SqlQueryable, schema: string): Promise<void> {
  const rows = await db.query<{ grantee: string }>(
    `SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(acl.grantee)) END AS grantee
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
            aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) acl
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND acl.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')`,
    [schema],
  );
  if (rows.length === 0) return;
  await db.exec(
    `REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA ${quoteIdent(schema)} FROM ${rows.map((r) => r.grantee).join(', ')}`,
  );
}

export async function decommission(legacy: SqlDatabase, schema: string, step: Step): Promise<boolean> {
  await legacy.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  await step('decommissioned', { schema });
  return true;
}
