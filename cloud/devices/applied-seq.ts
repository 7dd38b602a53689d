// The device row's place in its own outbox: the last seq the cloud applied, read under a row lock at
// the start of a pushed batch's transaction and moved at its end with the contact times it implies.
import type { SqlQueryable } from '../../src/db/sql.ts';

/**
 * The device's last applied seq (and the edge database it is bound to), its row locked until the
 * transaction ends; undefined if it is gone.
 * `FOR NO KEY UPDATE`: pushes of the device wait for each other, but a hello's terminal claim on
 * another connection (an insert whose foreign key takes `KEY SHARE` on this row) does not wait for
 * the batch; with `FOR UPDATE` it did, while the batch then waited for that claim's terminal row: a
 * deadlock when a dropped socket's batch was still running as the device said hello again.
 */
export async function lockAppliedSeq(
  tx: SqlQueryable,
  deviceId: string,
): Promise<{ last: number; revoked: boolean; storeId: string | null } | undefined> {
  const [device] = await tx.query<{ last: number; revoked: boolean; store_id: string | null }>(
    'SELECT last_applied_seq AS last, revoked_at IS NOT NULL AS revoked, store_id FROM devices WHERE id = $1 FOR NO KEY UPDATE',
    [deviceId],
  );
  return device && { last: Number(device.last), revoked: device.revoked, storeId: device.store_id };
}

/** A batch committed up to `seq`: an ack is what a device syncs by, so its last sync moves too (docs/freshness.md). */
export async function recordApplied(
  tx: SqlQueryable,
  deviceId: string,
  seq: number,
  at: string,
): Promise<void> {
  await tx.query(
    'UPDATE devices SET last_applied_seq = $2, last_seen_at = $3, last_sync_at = $3 WHERE id = $1',
    [deviceId, seq, at],
  );
}
