// Tenant tables for till shifts: the shift itself,
// cash paid in and out during it, and the counts per tender at close.
import { c, defineTable } from '../define-table.ts';

export const shifts = defineTable(
  'shifts',
  {
    id: c.text('id').primaryKey(),
    branchCode: c.text('branch_code').notNull(),
    terminal: c.text('terminal').notNull(),
    deviceId: c.text('device_id'),
    openedBy: c.text('opened_by'),
    openedAt: c.instant('opened_at').notNull(),
    openingFloatMinor: c.bigint('opening_float_minor').notNull(),
    businessDate: c.date('business_date').notNull(),
    closedBy: c.text('closed_by'),
    closedAt: c.instant('closed_at'),
    countedCashMinor: c.bigint('counted_cash_minor'),
    /** The device seqs of the open and of the close, and the close's mutation id (tenant migration 0007). */
    openSeq: c.bigint('open_seq'),
    closeSeq: c.bigint('close_seq'),
    closeMutationId: c.text('close_mutation_id'),
    /** The signed-in users who opened and closed it (tenant migration 0009). */
    openedByUserId: c.text('opened_by_user_id'),
    closedByUserId: c.text('closed_by_user_id'),
    /** The close's seal (tenant migration 0012, docs/journal.md#sealed-z): the terminal's grand totals and the shift's last document hash. */
    sealGrandSalesMinor: c.bigint('seal_grand_sales_minor'),
    sealGrandRefundsMinor: c.bigint('seal_grand_refunds_minor'),
    sealGrandTaxMinor: c.bigint('seal_grand_tax_minor'),
    sealLastDocumentHash: c.text('seal_last_document_hash'),
  },
  (t, k) => [k.index('shifts_branch_date').on(t.branchCode, t.businessDate)],
);

export const cashMovements = defineTable(
  'cash_movements',
  {
    id: c.text('id').primaryKey(),
    shiftId: c
      .text('shift_id')
      .notNull()
      .references(() => shifts.columns.id),
    direction: c.text('direction', { enum: ['in', 'out'] }).notNull(),
    amountMinor: c.bigint('amount_minor').notNull(),
    reason: c.text('reason').notNull(),
    cashier: c.text('cashier'),
    occurredAt: c.instant('occurred_at').notNull(),
    deviceId: c.text('device_id'),
    deviceSeq: c.bigint('device_seq'),
    /** The signed-in user who moved the cash (tenant migration 0009). */
    cashierUserId: c.text('cashier_user_id'),
  },
  (t, k) => [k.index('cash_movements_shift').on(t.shiftId)],
);

/** Counted amounts per tender at shift close (the Z report compares them with what was expected). */
export const shiftCounts = defineTable(
  'shift_counts',
  {
    shiftId: c
      .text('shift_id')
      .notNull()
      .references(() => shifts.columns.id),
    method: c.text('method', { enum: ['cash', 'card', 'voucher', 'other'] }).notNull(),
    countedMinor: c.bigint('counted_minor').notNull(),
  },
  (t, k) => [k.primaryKey({ columns: [t.shiftId, t.method] })],
);
