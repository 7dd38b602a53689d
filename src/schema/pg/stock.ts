// Postgres/PGlite tenant tables for stock beyond sales (tenant migration 0010): the stock
// documents tills and HQ record, each branch's ledger cursor, and reorder levels.
import { index, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { instant, int64 } from './columns.ts';

/** Goods receipts, adjustments, counts and transfers, each kept whole (`payload`: the wire document). */
export const stockDocuments = pgTable(
  'stock_documents',
  {
    id: text('id').primaryKey(),
    kind: text('kind', {
      enum: ['stock_receipt', 'stock_adjustment', 'stock_count', 'stock_transfer'],
    }).notNull(),
    branchCode: text('branch_code').notNull(),
    toBranchCode: text('to_branch_code'),
    deviceId: text('device_id'),
    deviceSeq: int64('device_seq'),
    actor: text('actor'),
    occurredAt: instant('occurred_at').notNull(),
    receivedAt: instant('received_at').notNull(),
    payload: text('payload').notNull(),
  },
  (t) => [index('stock_documents_branch').on(t.branchCode, t.occurredAt)],
);

/** The last place given out in each branch's ledger (stock_movements.branch_seq). */
export const stockBranchCursors = pgTable('stock_branch_cursors', {
  branchCode: text('branch_code').primaryKey(),
  cursor: int64('cursor').notNull(),
});

/** At or below this on hand, a product is low on stock at the branch. */
export const reorderLevels = pgTable(
  'reorder_levels',
  {
    branchCode: text('branch_code').notNull(),
    productId: text('product_id').notNull(),
    levelMilli: int64('level_milli').notNull(),
    updatedAt: instant('updated_at').notNull(),
    updatedBy: text('updated_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.branchCode, t.productId] })],
);
