// A device token belongs to one edge database: the first that syncs with it binds it (`store_id`),
// and another one is refused, or its first sales would be taken for duplicates of the first one's.
import type { SqlQueryable } from '../../src/db/sql.ts';

/** Binds the device to `storeId` unless it is bound already; whether it is bound to `storeId` now. */
export async function bindStore(db: SqlQueryable, deviceId: string, storeId: string): Promise<boolean> {
  const [bound] = await db.query<{ store_id: string }>(
    'UPDATE devices SET store_id = coalesce(store_id, $2) WHERE id = $1 RETURNING store_id',
    [deviceId, storeId],
  );
  return bound?.store_id === storeId;
}
