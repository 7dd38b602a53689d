// Tenant tables for sync and administration bookkeeping:
// the audit log, the change log and the sync quarantine.
import { sql } from 'drizzle-orm';
import { c, defineTable } from '../define-table.ts';

export const auditLogs = defineTable(
  'audit_logs',
  {
    id: c.text('id').primaryKey(),
    at: c.instant('at').notNull(),
    actor: c.text('actor').notNull(),
    action: c.text('action').notNull(),
    entity: c.text('entity'),
    entityId: c.text('entity_id'),
    details: c.text('details').notNull(),
    /** The device and seq that carried a cashier event (tenant migration 0009); null for HQ changes. */
    deviceId: c.text('device_id'),
    deviceSeq: c.bigint('device_seq'),
  },
  (t, k) => [k.index('audit_logs_at').on(t.at)],
);

export const changeLog = defineTable(
  'change_log',
  {
    cursor: c.bigint('cursor').primaryKey(),
    entity: c.text('entity').notNull(),
    entityId: c.text('entity_id').notNull(),
    op: c.text('op', { enum: ['upsert', 'delete'] }).notNull(),
    changedAt: c.instant('changed_at').notNull(),
  },
  (t, k) => [k.index('change_log_entity').on(t.entity, t.entityId)],
);

export const syncQuarantine = defineTable(
  'sync_quarantine',
  {
    id: c.text('id').primaryKey(),
    deviceId: c.text('device_id').notNull(),
    seq: c.bigint('seq').notNull(),
    mutationId: c.text('mutation_id').notNull(),
    kind: c.text('kind').notNull(),
    payload: c.text('payload').notNull(),
    reasonCode: c.text('reason_code').notNull(),
    reason: c.text('reason').notNull(),
    receivedAt: c.instant('received_at').notNull(),
    resolvedAt: c.instant('resolved_at'),
    resolution: c.text('resolution'),
    /** A held refund's original sale (tenant migration 0007). */
    originalSaleId: c.text('original_sale_id'),
  },
  (t, k) => [
    k.uniqueIndex('sync_quarantine_device_seq').on(t.deviceId, t.seq),
    // Refunds held until their original arrives (tenant migration 0007).
    k
      .index('sync_quarantine_held')
      .on(t.originalSaleId)
      .where(sql`${t.reasonCode} = 'awaiting_original' AND ${t.resolvedAt} IS NULL`),
  ],
);
