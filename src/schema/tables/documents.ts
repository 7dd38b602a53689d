// Tenant tables for trading documents: sales and refunds
// with their lines and payments, and the stock movements they cause.
import { c, defineTable } from '../define-table.ts';

export const sales = defineTable(
  'sales',
  {
    id: c.text('id').primaryKey(),
    receiptNo: c.text('receipt_no').notNull().unique(),
    kind: c.text('kind', { enum: ['sale', 'refund'] }).notNull(),
    originalSaleId: c.text('original_sale_id'),
    branchCode: c.text('branch_code').notNull(),
    terminal: c.text('terminal').notNull(),
    deviceId: c.text('device_id'),
    shiftId: c.text('shift_id'),
    cashier: c.text('cashier'),
    cashierUserId: c.text('cashier_user_id'),
    customerId: c.text('customer_id'),
    currency: c.text('currency').notNull(),
    subtotalMinor: c.bigint('subtotal_minor').notNull(),
    discountMinor: c.bigint('discount_minor').notNull(),
    taxMinor: c.bigint('tax_minor').notNull(),
    totalMinor: c.bigint('total_minor').notNull(),
    changeMinor: c.bigint('change_minor').notNull(),
    occurredAt: c.instant('occurred_at').notNull(),
    businessDate: c.date('business_date').notNull(),
    reason: c.text('reason'),
    /** JSON array of flags. */
    flags: c.text('flags').notNull(),
    receivedAt: c.instant('received_at'),
    /** The device seq that carried it (tenant migration 0007). */
    deviceSeq: c.bigint('device_seq'),
    /** The manager who approved a refund over the limit or a price override, when, and what for (tenant migration 0009). */
    approvedByUserId: c.text('approved_by_user_id'),
    approvedAt: c.instant('approved_at'),
    /** JSON array of approval reasons. */
    approvalReasons: c.text('approval_reasons'),
  },
  (t, k) => [
    k.index('sales_branch_date').on(t.branchCode, t.businessDate),
    k.index('sales_original').on(t.originalSaleId),
    k.index('sales_shift').on(t.shiftId),
    k.index('sales_date').on(t.businessDate),
  ],
);

export const saleLines = defineTable(
  'sale_lines',
  {
    saleId: c
      .text('sale_id')
      .notNull()
      .references(() => sales.columns.id),
    lineNo: c.integer('line_no').notNull(),
    productId: c.text('product_id'),
    name: c.text('name').notNull(),
    qtyMilli: c.bigint('qty_milli').notNull(),
    unitPriceMinor: c.bigint('unit_price_minor').notNull(),
    amountMinor: c.bigint('amount_minor').notNull(),
    discountMinor: c.bigint('discount_minor').notNull(),
    taxRateBp: c.integer('tax_rate_bp').notNull(),
    taxInclusive: c.boolean('tax_inclusive').notNull(),
    taxMinor: c.bigint('tax_minor').notNull(),
    totalMinor: c.bigint('total_minor').notNull(),
    originalLineNo: c.integer('original_line_no'),
    flags: c.text('flags').notNull(),
    /** Copied from the sale (tenant migration 0006): reports read a period's lines without `sales`. */
    businessDate: c.date('business_date').notNull(),
    kind: c.text('kind', { enum: ['sale', 'refund'] }).notNull(),
    branchCode: c.text('branch_code').notNull(),
  },
  (t, k) => [
    k.primaryKey({ columns: [t.saleId, t.lineNo] }),
    k.index('sale_lines_product').on(t.productId),
    k.index('sale_lines_date_branch').on(t.businessDate, t.branchCode),
  ],
);

export const payments = defineTable(
  'payments',
  {
    saleId: c
      .text('sale_id')
      .notNull()
      .references(() => sales.columns.id),
    paymentNo: c.integer('payment_no').notNull(),
    method: c.text('method', { enum: ['cash', 'card', 'voucher', 'other'] }).notNull(),
    amountMinor: c.bigint('amount_minor').notNull(),
    tenderedMinor: c.bigint('tendered_minor').notNull(),
    changeMinor: c.bigint('change_minor').notNull(),
    reference: c.text('reference'),
    /** Copied from the sale (tenant migration 0006): reports read a period's payments without `sales`. */
    businessDate: c.date('business_date').notNull(),
    kind: c.text('kind', { enum: ['sale', 'refund'] }).notNull(),
    branchCode: c.text('branch_code').notNull(),
  },
  (t, k) => [
    k.primaryKey({ columns: [t.saleId, t.paymentNo] }),
    k.index('payments_date_branch').on(t.businessDate, t.branchCode),
  ],
);

export const stockMovements = defineTable(
  'stock_movements',
  {
    id: c.text('id').primaryKey(),
    branchCode: c.text('branch_code').notNull(),
    productId: c.text('product_id').notNull(),
    deltaQtyMilli: c.bigint('delta_qty_milli').notNull(),
    reason: c
      .text('reason', { enum: ['sale', 'refund', 'receive', 'adjust', 'count', 'transfer'] })
      .notNull(),
    occurredAt: c.instant('occurred_at').notNull(),
    sourceId: c.text('source_id'),
    // Tenant migration 0010: who recorded it, its place in its branch's ledger, a count's finding, a receipt's unit cost.
    deviceId: c.text('device_id'),
    branchSeq: c.bigint('branch_seq'),
    countedQtyMilli: c.bigint('counted_qty_milli'),
    unitCostMinor: c.bigint('unit_cost_minor'),
  },
  // Tenant migration 0013 dropped stock_movements_branch_product (branch_code, product_id): a prefix of this.
  (t, k) => [
    k.index('stock_movements_order').on(t.branchCode, t.productId, t.occurredAt, t.branchSeq),
    k.index('stock_movements_branch_seq').on(t.branchCode, t.branchSeq),
  ],
);

/** Running sum of stock_movements per branch and product, kept by triggers (the edge's in its own order, tenant migration 0010). */
export const stockOnHand = defineTable(
  'stock_on_hand',
  {
    branchCode: c.text('branch_code').notNull(),
    productId: c.text('product_id').notNull(),
    qtyMilli: c.bigint('qty_milli').notNull(),
    // Tenant migration 0014: the latest occurred_at summed so far; null when not known.
    maxOccurredAt: c.instant('max_occurred_at'),
  },
  (t, k) => [k.primaryKey({ columns: [t.branchCode, t.productId] })],
);
