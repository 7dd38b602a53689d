// Postgres/PGlite tenant tables for sync and administration bookkeeping:
// the audit log, the change log and the sync quarantine.
import { sql } from 'drizzle-orm';
import { index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { instant, int64 } from './columns.ts';

export const auditLogs = pgTable(
  'audit_logs',
  {
    id: text('id').primaryKey(),
    at: instant('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    entity: text('entity'),
    entityId: text('entity_id'),
    details: text('details').notNull(),
    /** The device and seq that carried a cashier event (tenant migration 0009); null for HQ changes. */
    deviceId: text('device_id'),
    deviceSeq: int64('device_seq'),
  },
  (t) => [index('audit_logs_at').on(t.at)],
);

export const changeLog = pgTable(
  'change_log',
  {
    cursor: int64('cursor').primaryKey(),
    entity: text('entity').notNull(),
    entityId: text('entity_id').notNull(),
    op: text('op', { enum: ['upsert', 'delete'] }).notNull(),
    changedAt: instant('changed_at').notNull(),
  },
  (t) => [index('change_log_entity').on(t.entity, t.entityId)],
);

export const syncQuarantine = pgTable(
  'sync_quarantine',
  {
    id: text('id').primaryKey(),
    deviceId: text('device_id').notNull(),
    seq: int64('seq').notNull(),
    mutationId: text('mutation_id').notNull(),
    kind: text('kind').notNull(),
    payload: text('payload').notNull(),
    reasonCode: text('reason_code').notNull(),
    reason: text('reason').notNull(),
    receivedAt: instant('received_at').notNull(),
    resolvedAt: instant('resolved_at'),
    resolution: text('resolution'),
    /** A held refund's original sale (tenant migration 0007). */
    originalSaleId: text('original_sale_id'),
  },
  (t) => [
    uniqueIndex('sync_quarantine_device_seq').on(t.deviceId, t.seq),
    // Refunds held until their original arrives (tenant migration 0007).
    index('sync_quarantine_held')
      .on(t.originalSaleId)
      .where(sql`${t.reasonCode} = 'awaiting_original' AND ${t.resolvedAt} IS NULL`),
  ],
);
