// SQLite (edge) tenant tables for till shifts: the shift itself,
// cash paid in and out during it, and the counts per tender at close.
import { index, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { businessDate, instant, int64 } from './columns.ts';

export const shifts = sqliteTable(
  'shifts',
  {
    id: text('id').primaryKey(),
    branchCode: text('branch_code').notNull(),
    terminal: text('terminal').notNull(),
    deviceId: text('device_id'),
    openedBy: text('opened_by'),
    openedAt: instant('opened_at').notNull(),
    openingFloatMinor: int64('opening_float_minor').notNull(),
    businessDate: businessDate('business_date').notNull(),
    closedBy: text('closed_by'),
    closedAt: instant('closed_at'),
    countedCashMinor: int64('counted_cash_minor'),
    /** The device seqs of the open and of the close, and the close's mutation id (tenant migration 0007). */
    openSeq: int64('open_seq'),
    closeSeq: int64('close_seq'),
    closeMutationId: text('close_mutation_id'),
    /** The signed-in users who opened and closed it (tenant migration 0009). */
    openedByUserId: text('opened_by_user_id'),
    closedByUserId: text('closed_by_user_id'),
  },
  (t) => [index('shifts_branch_date').on(t.branchCode, t.businessDate)],
);

export const cashMovements = sqliteTable(
  'cash_movements',
  {
    id: text('id').primaryKey(),
    shiftId: text('shift_id')
      .notNull()
      .references(() => shifts.id),
    direction: text('direction', { enum: ['in', 'out'] }).notNull(),
    amountMinor: int64('amount_minor').notNull(),
    reason: text('reason').notNull(),
    cashier: text('cashier'),
    occurredAt: instant('occurred_at').notNull(),
    deviceId: text('device_id'),
    deviceSeq: int64('device_seq'),
    /** The signed-in user who moved the cash (tenant migration 0009). */
    cashierUserId: text('cashier_user_id'),
  },
  (t) => [index('cash_movements_shift').on(t.shiftId)],
);

/** Counted amounts per tender at shift close (the Z report compares them with what was expected). */
export const shiftCounts = sqliteTable(
  'shift_counts',
  {
    shiftId: text('shift_id')
      .notNull()
      .references(() => shifts.id),
    method: text('method', { enum: ['cash', 'card', 'voucher', 'other'] }).notNull(),
    countedMinor: int64('counted_minor').notNull(),
  },
  (t) => [primaryKey({ columns: [t.shiftId, t.method] })],
);
