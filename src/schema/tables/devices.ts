// Tenant tables for who may talk to the cloud:
// paired devices, their terminal codes, and HQ login sessions.

import { c, defineTable } from '../define-table.ts';
import { branches, users } from './catalog.ts';

export const devices = defineTable('devices', {
  id: c.text('id').primaryKey(),
  branchId: c
    .text('branch_id')
    .notNull()
    .references(() => branches.columns.id),
  name: c.text('name').notNull(),
  tokenHash: c.text('token_hash').notNull().unique(),
  createdAt: c.instant('created_at').notNull(),
  revokedAt: c.instant('revoked_at'),
  lastSeenAt: c.instant('last_seen_at'),
  lastAppliedSeq: c.bigint('last_applied_seq').notNull().default(0),
  /** The edge database this device's token is bound to (seq numbers are per database). */
  storeId: c.text('store_id'),
  /** The last time the cloud acknowledged the device: a committed push, or an empty outbox reported. */
  lastSyncAt: c.instant('last_sync_at'),
  /** The last time the device reported an empty outbox (hello or ping). */
  outboxEmptyAt: c.instant('outbox_empty_at'),
  /** The backlog it last reported (tenant migration 0011): unacknowledged mutations, clamped. */
  backlogPending: c.integer('backlog_pending'),
  /** When the oldest of those was recorded; null with nothing pending. */
  backlogOldestAt: c.instant('backlog_oldest_at'),
  /** When the cloud heard that backlog (a hello, or a ping past the last-seen throttle). */
  backlogReportedAt: c.instant('backlog_reported_at'),
  /** Its `lastAppliedSeq` then: what was applied since comes off the count (docs/freshness.md). */
  backlogSeq: c.bigint('backlog_seq'),
});

/** Terminal codes per branch, each owned by one device: receipt series never collide. */
export const terminals = defineTable(
  'terminals',
  {
    branchId: c
      .text('branch_id')
      .notNull()
      .references(() => branches.columns.id),
    code: c.text('code').notNull(),
    deviceId: c
      .text('device_id')
      .notNull()
      .references(() => devices.columns.id),
    createdAt: c.instant('created_at').notNull(),
    /** The last sale and refund receipt numbers the cloud holds for the terminal (tenant migration 0007). */
    lastSaleNo: c.bigint('last_sale_no'),
    lastRefundNo: c.bigint('last_refund_no'),
  },
  (t, k) => [k.primaryKey({ columns: [t.branchId, t.code] }), k.index('terminals_device').on(t.deviceId)],
);

/** HQ logins: the token's SHA-256, whose user, until when (cloud only; empty on the edge). */
export const hqSessions = defineTable(
  'hq_sessions',
  {
    tokenHash: c.text('token_hash').primaryKey(),
    userId: c
      .text('user_id')
      .notNull()
      .references(() => users.columns.id),
    createdAt: c.instant('created_at').notNull(),
    expiresAt: c.instant('expires_at').notNull(),
    revokedAt: c.instant('revoked_at'),
  },
  (t, k) => [k.index('hq_sessions_user').on(t.userId)],
);
