// Tenant tables for stock beyond sales (tenant migration 0010): the stock
// documents tills and HQ record, each branch's ledger cursor, and reorder levels.
import { c, defineTable } from '../define-table.ts';

/** Goods receipts, adjustments, counts and transfers, each kept whole (`payload`: the wire document). */
export const stockDocuments = defineTable(
  'stock_documents',
  {
    id: c.text('id').primaryKey(),
    kind: c
      .text('kind', {
        enum: ['stock_receipt', 'stock_adjustment', 'stock_count', 'stock_transfer'],
      })
      .notNull(),
    branchCode: c.text('branch_code').notNull(),
    toBranchCode: c.text('to_branch_code'),
    deviceId: c.text('device_id'),
    deviceSeq: c.bigint('device_seq'),
    actor: c.text('actor'),
    occurredAt: c.instant('occurred_at').notNull(),
    receivedAt: c.instant('received_at').notNull(),
    payload: c.text('payload').notNull(),
  },
  (t, k) => [k.index('stock_documents_branch').on(t.branchCode, t.occurredAt)],
);

/** The last place given out in each branch's ledger (stock_movements.branch_seq). */
export const stockBranchCursors = defineTable('stock_branch_cursors', {
  branchCode: c.text('branch_code').primaryKey(),
  cursor: c.bigint('cursor').notNull(),
});

/** At or below this on hand, a product is low on stock at the branch. */
export const reorderLevels = defineTable(
  'reorder_levels',
  {
    branchCode: c.text('branch_code').notNull(),
    productId: c.text('product_id').notNull(),
    levelMilli: c.bigint('level_milli').notNull(),
    updatedAt: c.instant('updated_at').notNull(),
    updatedBy: c.text('updated_by').notNull(),
  },
  (t, k) => [k.primaryKey({ columns: [t.branchCode, t.productId] })],
);
