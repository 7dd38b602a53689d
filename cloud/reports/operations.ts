// The operational reports of SPEC §10: the Z reports of the shifts closed in a period (stock on hand
// is inventory.ts), and how fresh the cloud's copy of each device's data is. Every report
// also carries `freshness` (see `freshnessOf`), because HQ sees only what the edges have pushed.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { Period } from './params.ts';
import { documentFilter } from './sales-figures.ts';
import { SHIFT_HEAD, type ShiftDrawer, type ShiftHead, shiftDrawers } from './shift-drawers.ts';

export interface ZReport extends ShiftHead, ShiftDrawer {
  closedAt: string;
}

/** Z reports of the shifts closed in the period (by the shift's business date), oldest first. */
export async function zReports(db: SqlQueryable, p: Period): Promise<ZReport[]> {
  const { where, params } = documentFilter(p, 'sh');
  const shifts = await db.query<ShiftHead & { closedAt: string }>(
    `SELECT ${SHIFT_HEAD}
     FROM shifts sh
     WHERE sh.closed_at IS NOT NULL AND ${where}
     ORDER BY sh.closed_at, sh.id`,
    params,
  );
  const drawers = await shiftDrawers(db, shifts);
  return shifts.map((s) => ({ ...s, ...drawers.get(s.shiftId)! }));
}

/**
 * How current the data behind a report is, over the devices (not revoked) of the branch or of all
 * branches: the latest and the oldest last sync (the cloud acknowledging the device, see
 * docs/freshness.md), devices never synced, and mutations waiting in quarantine. The report holds
 * everything recorded before `oldestOutboxEmptyAt` at every one of these devices (null while any has
 * never reported an empty outbox); a quarantined mutation is missing until it is replayed.
 */
export interface Freshness {
  generatedAt: string;
  devices: number;
  lastSyncAt: string | null;
  oldestSyncAt: string | null;
  neverSynced: number;
  /** The earliest of the devices' last reported empty outbox; null if any never reported one. */
  oldestOutboxEmptyAt: string | null;
  quarantined: number;
}

export async function freshnessOf(db: SqlQueryable, branch: string | null, now: Date): Promise<Freshness> {
  const [row] = await db.query<{
    devices: number;
    last: string | null;
    oldest: string | null;
    never: number;
    empty: string | null;
    quarantined: number;
  }>(
    `SELECT count(*)::int AS devices, max(d.last_sync_at) AS last, min(d.last_sync_at) AS oldest,
       count(*) FILTER (WHERE d.last_sync_at IS NULL)::int AS never,
       CASE WHEN count(*) = count(d.outbox_empty_at) THEN min(d.outbox_empty_at) END AS empty,
       coalesce(sum((SELECT count(*) FROM sync_quarantine q WHERE q.device_id = d.id AND q.resolved_at IS NULL)), 0)::int AS quarantined
     FROM devices d JOIN branches b ON b.id = d.branch_id
     WHERE d.revoked_at IS NULL ${branch ? 'AND b.code = $1' : ''}`,
    branch ? [branch] : [],
  );
  return {
    generatedAt: now.toISOString(),
    devices: row?.devices ?? 0,
    lastSyncAt: row?.last ?? null,
    oldestSyncAt: row?.oldest ?? null,
    neverSynced: row?.never ?? 0,
    oldestOutboxEmptyAt: row?.empty ?? null,
    quarantined: row?.quarantined ?? 0,
  };
}

export interface DeviceFreshness {
  deviceId: string;
  name: string;
  branch: string;
  revoked: boolean;
  /** The last time the cloud acknowledged the device: a push batch committed, or an empty outbox reported. */
  lastSyncAt: string | null;
  lastAppliedSeq: number;
  quarantined: number;
  /** The last hello, ping or push heard from the device, acknowledged or not. */
  lastSeenAt: string | null;
  /** The last time the device reported an empty outbox (hello or ping, protocol 2 edges). */
  outboxEmptyAt: string | null;
  /**
   * What is still pending of the backlog it last reported: the reported count less the mutations the
   * cloud applied since, never below 0. Null if it never reported one (protocol 1, or not since 0011).
   */
  backlogPending: number | null;
  /** When the oldest unsynced mutation (a sale, most often) was recorded; null with nothing pending. */
  oldestUnsyncedAt: string | null;
  /** Its age in whole seconds when the report was generated. */
  oldestUnsyncedAgeSeconds: number | null;
  /** When the cloud heard that backlog (a hello, or a ping past the last-seen throttle). */
  backlogReportedAt: string | null;
  /** Journal breaks flagged on push in the chains of the device's edge database (its `store_id`). */
  journalBreaks: number;
}

interface DeviceRow
  extends Omit<DeviceFreshness, 'backlogPending' | 'oldestUnsyncedAt' | 'oldestUnsyncedAgeSeconds'> {
  reportedPending: number | null;
  reportedOldestAt: string | null;
  reportedSeq: number | null;
}

/** A device's backlog as of `now`: the reported one less what was applied since (docs/freshness.md). */
function backlogOf(
  row: DeviceRow,
  now: Date,
): Pick<DeviceFreshness, 'backlogPending' | 'oldestUnsyncedAt' | 'oldestUnsyncedAgeSeconds'> {
  if (row.reportedPending === null) {
    return { backlogPending: null, oldestUnsyncedAt: null, oldestUnsyncedAgeSeconds: null };
  }
  const appliedSince = Math.max(
    0,
    Number(row.lastAppliedSeq) - Number(row.reportedSeq ?? row.lastAppliedSeq),
  );
  const pending = Math.max(0, row.reportedPending - appliedSince);
  // Everything reported is in: nothing unsynced is known. Otherwise the reported oldest is kept,
  // which a partly drained backlog makes an upper bound of the true age.
  const oldest = pending === 0 || row.reportedOldestAt === null ? null : new Date(row.reportedOldestAt);
  return {
    backlogPending: pending,
    oldestUnsyncedAt: oldest?.toISOString() ?? null,
    oldestUnsyncedAgeSeconds:
      oldest === null ? null : Math.max(0, Math.floor((now.getTime() - oldest.getTime()) / 1000)),
  };
}

/**
 * Per device (revoked ones too, marked): last sync, last applied seq, unresolved quarantine, last
 * contact, last empty outbox, its backlog (pending count and oldest unsynced mutation), and the
 * journal breaks flagged in its edge database's chains.
 */
export async function freshnessReport(
  db: SqlQueryable,
  branch: string | null,
  now: Date,
): Promise<DeviceFreshness[]> {
  const rows = await db.query<DeviceRow>(
    `SELECT d.id AS "deviceId", d.name, b.code AS branch, d.revoked_at IS NOT NULL AS revoked,
       d.last_sync_at AS "lastSyncAt", d.last_applied_seq AS "lastAppliedSeq",
       (SELECT count(*) FROM sync_quarantine q WHERE q.device_id = d.id AND q.resolved_at IS NULL)::int AS quarantined,
       d.last_seen_at AS "lastSeenAt", d.outbox_empty_at AS "outboxEmptyAt",
       d.backlog_pending AS "reportedPending", d.backlog_oldest_at AS "reportedOldestAt",
       d.backlog_seq AS "reportedSeq", d.backlog_reported_at AS "backlogReportedAt",
       (SELECT coalesce(sum(h.breaks), 0) FROM journal_heads h WHERE h.store_id = d.store_id)::int AS "journalBreaks"
     FROM devices d JOIN branches b ON b.id = d.branch_id
     ${branch ? 'WHERE b.code = $1' : ''}
     ORDER BY b.code, d.name, d.id`,
    branch ? [branch] : [],
  );
  return rows.map(({ reportedPending, reportedOldestAt, reportedSeq, ...row }) => ({
    ...row,
    ...backlogOf({ ...row, reportedPending, reportedOldestAt, reportedSeq }, now),
  }));
}
