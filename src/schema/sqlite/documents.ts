// SQLite (edge) tenant tables for trading documents: sales and refunds
// with their lines and payments, and the stock movements they cause.
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { boolean, businessDate, instant, int64 } from './columns.ts';

export const sales = sqliteTable(
  'sales',
  {
    id: text('id').primaryKey(),
    receiptNo: text('receipt_no').notNull().unique(),
    kind: text('kind', { enum: ['sale', 'refund'] }).notNull(),
    originalSaleId: text('original_sale_id'),
    branchCode: text('branch_code').notNull(),
    terminal: text('terminal').notNull(),
    deviceId: text('device_id'),
    shiftId: text('shift_id'),
    cashier: text('cashier'),
    cashierUserId: text('cashier_user_id'),
    customerId: text('customer_id'),
    currency: text('currency').notNull(),
    subtotalMinor: int64('subtotal_minor').notNull(),
    discountMinor: int64('discount_minor').notNull(),
    taxMinor: int64('tax_minor').notNull(),
    totalMinor: int64('total_minor').notNull(),
    changeMinor: int64('change_minor').notNull(),
    occurredAt: instant('occurred_at').notNull(),
    businessDate: businessDate('business_date').notNull(),
    reason: text('reason'),
    /** JSON array of flags. */
    flags: text('flags').notNull(),
    receivedAt: instant('received_at'),
    /** The device seq that carried it (tenant migration 0007). */
    deviceSeq: int64('device_seq'),
    /** The manager who approved a refund over the limit or a price override, when, and what for (tenant migration 0009). */
    approvedByUserId: text('approved_by_user_id'),
    approvedAt: instant('approved_at'),
    /** JSON array of approval reasons. */
    approvalReasons: text('approval_reasons'),
  },
  (t) => [
    index('sales_branch_date').on(t.branchCode, t.businessDate),
    index('sales_original').on(t.originalSaleId),
    index('sales_shift').on(t.shiftId),
    index('sales_date').on(t.businessDate),
  ],
);

export const saleLines = sqliteTable(
  'sale_lines',
  {
    saleId: text('sale_id')
      .notNull()
      .references(() => sales.id),
    lineNo: integer('line_no').notNull(),
    productId: text('product_id'),
    name: text('name').notNull(),
    qtyMilli: int64('qty_milli').notNull(),
    unitPriceMinor: int64('unit_price_minor').notNull(),
    amountMinor: int64('amount_minor').notNull(),
    discountMinor: int64('discount_minor').notNull(),
    taxRateBp: integer('tax_rate_bp').notNull(),
    taxInclusive: boolean('tax_inclusive').notNull(),
    taxMinor: int64('tax_minor').notNull(),
    totalMinor: int64('total_minor').notNull(),
    originalLineNo: integer('original_line_no'),
    flags: text('flags').notNull(),
    /** Copied from the sale (tenant migration 0006): reports read a period's lines without `sales`. */
    businessDate: businessDate('business_date').notNull(),
    kind: text('kind', { enum: ['sale', 'refund'] }).notNull(),
    branchCode: text('branch_code').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.saleId, t.lineNo] }),
    index('sale_lines_product').on(t.productId),
    index('sale_lines_date_branch').on(t.businessDate, t.branchCode),
  ],
);

export const payments = sqliteTable(
  'payments',
  {
    saleId: text('sale_id')
      .notNull()
      .references(() => sales.id),
    paymentNo: integer('payment_no').notNull(),
    method: text('method', { enum: ['cash', 'card', 'voucher', 'other'] }).notNull(),
    amountMinor: int64('amount_minor').notNull(),
    tenderedMinor: int64('tendered_minor').notNull(),
    changeMinor: int64('change_minor').notNull(),
    reference: text('reference'),
    /** Copied from the sale (tenant migration 0006): reports read a period's payments without `sales`. */
    businessDate: businessDate('business_date').notNull(),
    kind: text('kind', { enum: ['sale', 'refund'] }).notNull(),
    branchCode: text('branch_code').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.saleId, t.paymentNo] }),
    index('payments_date_branch').on(t.businessDate, t.branchCode),
  ],
);

export const stockMovements = sqliteTable(
  'stock_movements',
  {
    id: text('id').primaryKey(),
    branchCode: text('branch_code').notNull(),
    productId: text('product_id').notNull(),
    deltaQtyMilli: int64('delta_qty_milli').notNull(),
    reason: text('reason', { enum: ['sale', 'refund', 'receive', 'adjust', 'count', 'transfer'] }).notNull(),
    occurredAt: instant('occurred_at').notNull(),
    sourceId: text('source_id'),
    // Tenant migration 0010: who recorded it, its place in its branch's ledger, a count's finding, a receipt's unit cost.
    deviceId: text('device_id'),
    branchSeq: int64('branch_seq'),
    countedQtyMilli: int64('counted_qty_milli'),
    unitCostMinor: int64('unit_cost_minor'),
  },
  (t) => [
    index('stock_movements_branch_product').on(t.branchCode, t.productId),
    index('stock_movements_order').on(t.branchCode, t.productId, t.occurredAt, t.branchSeq),
    index('stock_movements_branch_seq').on(t.branchCode, t.branchSeq),
  ],
);

/** Running sum of stock_movements per branch and product, kept by a trigger on the cloud (empty on the edge). */
export const stockOnHand = sqliteTable(
  'stock_on_hand',
  {
    branchCode: text('branch_code').notNull(),
    productId: text('product_id').notNull(),
    qtyMilli: int64('qty_milli').notNull(),
  },
  (t) => [primaryKey({ columns: [t.branchCode, t.productId] })],
);
