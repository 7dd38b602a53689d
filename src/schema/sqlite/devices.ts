// SQLite (edge) tenant tables for who may talk to the cloud:
// paired devices, their terminal codes, and HQ login sessions.
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { branches, users } from './catalog.ts';
import { instant, int64 } from './columns.ts';

export const devices = sqliteTable('devices', {
  id: text('id').primaryKey(),
  branchId: text('branch_id')
    .notNull()
    .references(() => branches.id),
  name: text('name').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: instant('created_at').notNull(),
  revokedAt: instant('revoked_at'),
  lastSeenAt: instant('last_seen_at'),
  lastAppliedSeq: int64('last_applied_seq').notNull().default(0),
  /** The edge database this device's token is bound to (seq numbers are per database). */
  storeId: text('store_id'),
  /** The last time the cloud acknowledged the device: a committed push, or an empty outbox reported. */
  lastSyncAt: instant('last_sync_at'),
  /** The last time the device reported an empty outbox (hello or ping). */
  outboxEmptyAt: instant('outbox_empty_at'),
  /** The backlog it last reported (tenant migration 0011): unacknowledged mutations, clamped. */
  backlogPending: integer('backlog_pending'),
  /** When the oldest of those was recorded; null with nothing pending. */
  backlogOldestAt: instant('backlog_oldest_at'),
  /** When the cloud heard that backlog (a hello, or a ping past the last-seen throttle). */
  backlogReportedAt: instant('backlog_reported_at'),
  /** Its `lastAppliedSeq` then: what was applied since comes off the count (docs/freshness.md). */
  backlogSeq: int64('backlog_seq'),
});

/** Terminal codes per branch, each owned by one device: receipt series never collide. */
export const terminals = sqliteTable(
  'terminals',
  {
    branchId: text('branch_id')
      .notNull()
      .references(() => branches.id),
    code: text('code').notNull(),
    deviceId: text('device_id')
      .notNull()
      .references(() => devices.id),
    createdAt: instant('created_at').notNull(),
    /** The last sale and refund receipt numbers the cloud holds for the terminal (tenant migration 0007). */
    lastSaleNo: int64('last_sale_no'),
    lastRefundNo: int64('last_refund_no'),
  },
  (t) => [primaryKey({ columns: [t.branchId, t.code] }), index('terminals_device').on(t.deviceId)],
);

/** HQ logins: the token's SHA-256, whose user, until when (cloud only; empty on the edge). */
export const hqSessions = sqliteTable(
  'hq_sessions',
  {
    tokenHash: text('token_hash').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id),
    createdAt: instant('created_at').notNull(),
    expiresAt: instant('expires_at').notNull(),
    revokedAt: instant('revoked_at'),
  },
  (t) => [index('hq_sessions_user').on(t.userId)],
);
