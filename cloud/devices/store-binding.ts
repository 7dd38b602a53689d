// A device token belongs to one edge database: the first that syncs with it binds it (`store_id`),
// and another one is refused, or its first sales would be taken for duplicates of the first one's.
import type { SqlQueryable } from '../../src/db/sql.ts';

/** Binds the device to `storeId` unless it is bound already; whether it is bound to `storeId` now. */
export async function bindStore(db: SqlQueryable, deviceId: string, storeId: string): Promise<boolean> {
  return (await bindStores(db, [{ deviceId, storeId }])).get(deviceId) === storeId;
}

/**
 * `bindStore` for several devices in one statement (a tenant's hellos arriving together): the store
 * each device is bound to now. A device named twice is bound to its first store, as two hellos one
 * after the other would bind it.
 */
export async function bindStores(
  db: SqlQueryable,
  bindings: readonly { deviceId: string; storeId: string }[],
): Promise<Map<string, string>> {
  if (bindings.length === 0) return new Map();
  const rows = await db.query<{ id: string; store_id: string }>(
    `UPDATE devices d SET store_id = coalesce(d.store_id, u.store_id)
     FROM (SELECT DISTINCT ON (id) id, store_id
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS b(id, store_id, n) ORDER BY id, n) u
     WHERE d.id = u.id RETURNING d.id, d.store_id`,
    [bindings.map((b) => b.deviceId), bindings.map((b) => b.storeId)],
  );
  return new Map(rows.map((r) => [r.id, r.store_id]));
}
