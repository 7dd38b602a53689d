// The device row's contact times: `last_seen_at` for a hello or a ping, the sync times when the
// device reported an empty outbox, and the backlog it reported, all in the one write that already was.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { Backlog } from '../../src/protocol/messages.ts';

/** The most pending mutations kept: `backlog_pending` is a Postgres INTEGER. */
export const MAX_STORED_BACKLOG = 2_147_483_647;
/** The oldest pending mutation is kept at most ten years back: an absurd age is not an absurd date. */
export const MAX_STORED_BACKLOG_AGE_SECONDS = 10 * 366 * 24 * 3600;

/** The reported backlog as the device row keeps it: bounded count, the oldest one's instant. */
export function storedBacklog(backlog: Backlog, at: Date): { pending: number; oldestAt: string | null } {
  const age = backlog.oldestPendingAgeSeconds;
  return {
    pending: Math.min(backlog.pending, MAX_STORED_BACKLOG),
    oldestAt:
      age === null || backlog.pending === 0
        ? null
        : new Date(at.getTime() - Math.min(age, MAX_STORED_BACKLOG_AGE_SECONDS) * 1000).toISOString(),
  };
}

/**
 * Writes the device's `last_seen_at` for a hello or a ping, and its `last_sync_at` and
 * `outbox_empty_at` too when it reported an empty outbox: nothing it recorded waits for an ack. A
 * protocol 1 edge reports no backlog, so only its acked pushes move its last sync. A reported
 * backlog is kept with the device's `last_applied_seq` of the moment, so the freshness report can
 * take off what was applied since without a write per push.
 */
export async function touchDevice(
  db: SqlQueryable,
  deviceId: string,
  at: Date,
  backlog: Backlog | undefined,
): Promise<void> {
  if (backlog === undefined) {
    await db.query('UPDATE devices SET last_seen_at = $2 WHERE id = $1', [deviceId, at.toISOString()]);
    return;
  }
  const stored = storedBacklog(backlog, at);
  const synced = backlog.pending === 0 ? ', last_sync_at = $2, outbox_empty_at = $2' : '';
  await db.query(
    `UPDATE devices SET last_seen_at = $2${synced}, backlog_pending = $3, backlog_oldest_at = $4,
       backlog_reported_at = $2, backlog_seq = last_applied_seq
     WHERE id = $1`,
    [deviceId, at.toISOString(), stored.pending, stored.oldestAt],
  );
}
