// Encrypted tenant DSNs. Only ciphertext and the key id ever reach the control database.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { Sealed } from '../secrets/keyring.ts';

export async function storeConnectionString(db: SqlQueryable, orgId: string, sealed: Sealed): Promise<void> {
  await db.query(
    `INSERT INTO tenant_connection_strings (org_id, ciphertext, key_id) VALUES ($1, $2, $3)
     ON CONFLICT (org_id) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, key_id = EXCLUDED.key_id, rotated_at = now()`,
    [orgId, sealed.ciphertext, sealed.keyId],
  );
}

export async function loadConnectionString(
  db: SqlQueryable,
  orgId: string,
  forUpdate = false,
): Promise<Sealed | undefined> {
  const rows = await db.query<{ ciphertext: string; key_id: string }>(
    `SELECT ciphertext, key_id FROM tenant_connection_strings WHERE org_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [orgId],
  );
  const row = rows[0];
  return row && { ciphertext: row.ciphertext, keyId: row.key_id };
}

export async function deleteConnectionString(db: SqlQueryable, orgId: string): Promise<void> {
  await db.query('DELETE FROM tenant_connection_strings WHERE org_id = $1', [orgId]);
}

/** Org ids whose DSN is sealed with a key other than `keyId`. */
export async function orgsSealedWithOtherKeys(db: SqlQueryable, keyId: string): Promise<string[]> {
  const rows = await db.query<{ org_id: string }>(
    'SELECT org_id FROM tenant_connection_strings WHERE key_id <> $1 ORDER BY org_id',
    [keyId],
  );
  return rows.map((r) => r.org_id);
}
