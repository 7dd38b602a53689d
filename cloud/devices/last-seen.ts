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
  await touchDevices(db, [{ deviceId, at, backlog }]);
}

/**
 * `touchDevice` for several devices in one statement (a tenant's hellos arriving together, or its
 * idle pings' writes gathered): each row written as its own `touchDevice` would; a device named
 * twice, as its last. `deferred` writes (gathered pings) come late: each time moves only forwards,
 * and a backlog replaces only an older report, so a write that waited never undoes a newer one.
 */
export async function touchDevices(
  db: SqlQueryable,
  touches: readonly { deviceId: string; at: Date; backlog: Backlog | undefined }[],
  options: { deferred?: boolean } = {},
): Promise<void> {
  if (touches.length === 0) return;
  const stored = touches.map((t) => (t.backlog === undefined ? undefined : storedBacklog(t.backlog, t.at)));
  const later = (column: string) => (options.deferred ? `greatest(d.${column}, u.at)` : 'u.at');
  const reported = options.deferred
    ? "u.reported AND u.at >= coalesce(d.backlog_reported_at, '-infinity')"
    : 'u.reported';
  await db.query(
    `UPDATE devices d SET last_seen_at = ${later('last_seen_at')},
       last_sync_at = CASE WHEN u.pending = 0 THEN ${later('last_sync_at')} ELSE d.last_sync_at END,
       outbox_empty_at = CASE WHEN u.pending = 0 THEN ${later('outbox_empty_at')} ELSE d.outbox_empty_at END,
       backlog_pending = CASE WHEN ${reported} THEN u.pending ELSE d.backlog_pending END,
       backlog_oldest_at = CASE WHEN ${reported} THEN u.oldest_at ELSE d.backlog_oldest_at END,
       backlog_reported_at = CASE WHEN ${reported} THEN u.at ELSE d.backlog_reported_at END,
       backlog_seq = CASE WHEN ${reported} THEN d.last_applied_seq ELSE d.backlog_seq END
     FROM (SELECT DISTINCT ON (id) id, at, reported, pending, oldest_at
           FROM unnest($1::text[], $2::timestamptz[], $3::boolean[], $4::integer[], $5::timestamptz[])
             WITH ORDINALITY AS t(id, at, reported, pending, oldest_at, n)
           ORDER BY id, n DESC) u
     WHERE d.id = u.id`,
    [
      touches.map((t) => t.deviceId),
      touches.map((t) => t.at.toISOString()),
      stored.map((s) => s !== undefined),
      stored.map((s) => s?.pending ?? null),
      stored.map((s) => s?.oldestAt ?? null),
    ],
  );
}
