// The device row's contact times: `last_seen_at` for a hello or a ping, and the sync times when the
// device reported an empty outbox.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { Backlog } from '../../src/protocol/messages.ts';

/**
 * Writes the device's `last_seen_at` for a hello or a ping, and its `last_sync_at` and
 * `outbox_empty_at` too when it reported an empty outbox: nothing it recorded waits for an ack. A
 * protocol 1 edge reports no backlog, so only its acked pushes move its last sync.
 */
export async function touchDevice(
  db: SqlQueryable,
  deviceId: string,
  at: Date,
  backlog: Backlog | undefined,
): Promise<void> {
  const sql =
    backlog?.pending === 0
      ? 'UPDATE devices SET last_seen_at = $2, last_sync_at = $2, outbox_empty_at = $2 WHERE id = $1'
      : 'UPDATE devices SET last_seen_at = $2 WHERE id = $1';
  await db.query(sql, [deviceId, at.toISOString()]);
}
