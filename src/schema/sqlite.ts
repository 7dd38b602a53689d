// drizzle tables of the edge's SQLite copy of the tenant schema: column for column the same as
// src/schema/pg.ts, with the types of src/schema/type-mapping.ts (instants and dates as ISO text,
// booleans 0/1, 64-bit integers as INTEGER).
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const instant = (name: string) => text(name);
const boolean = (name: string) => integer(name, { mode: 'boolean' });
const int64 = (name: string) => integer(name);
const businessDate = (name: string) => text(name);

export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const roles = sqliteTable('roles', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  /** JSON array of permission strings. */
  permissions: text('permissions').notNull(),
});

export const branches = sqliteTable('branches', {
  id: text('id').primaryKey(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  /** IANA time zone; reports group by the branch's local business date. */
  timeZone: text('time_zone').notNull(),
  active: boolean('active').notNull(),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  email: text('email').unique(),
  name: text('name').notNull(),
  roleId: text('role_id')
    .notNull()
    .references(() => roles.id),
  passwordHash: text('password_hash'),
  pinHash: text('pin_hash'),
  active: boolean('active').notNull(),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const taxRates = sqliteTable(
  'tax_rates',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    rateBp: integer('rate_bp').notNull(),
    inclusive: boolean('inclusive').notNull(),
    isDefault: boolean('is_default').notNull(),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [uniqueIndex('tax_rates_one_default').on(t.isDefault).where(sql`${t.isDefault}`)],
);

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

export const products = sqliteTable('products', {
  id: text('id').primaryKey(),
  sku: text('sku').notNull().unique(),
  barcode: text('barcode').unique(),
  name: text('name').notNull(),
  category: text('category'),
  taxRateId: text('tax_rate_id')
    .notNull()
    .references(() => taxRates.id),
  active: boolean('active').notNull(),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const prices = sqliteTable(
  'prices',
  {
    id: text('id').primaryKey(),
    productId: text('product_id')
      .notNull()
      .references(() => products.id),
    /** null: the default price for every branch. */
    branchId: text('branch_id').references(() => branches.id),
    priceMinor: int64('price_minor').notNull(),
    effectiveFrom: instant('effective_from').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('prices_branch_from')
      .on(t.productId, t.branchId, t.effectiveFrom)
      .where(sql`${t.branchId} IS NOT NULL`),
    uniqueIndex('prices_default_from').on(t.productId, t.effectiveFrom).where(sql`${t.branchId} IS NULL`),
  ],
);

export const customers = sqliteTable('customers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email'),
  phone: text('phone'),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

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
  },
  (t) => [index('stock_movements_branch_product').on(t.branchCode, t.productId)],
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

export const auditLogs = sqliteTable(
  'audit_logs',
  {
    id: text('id').primaryKey(),
    at: instant('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    entity: text('entity'),
    entityId: text('entity_id'),
    details: text('details').notNull(),
  },
  (t) => [index('audit_logs_at').on(t.at)],
);

export const changeLog = sqliteTable(
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

export const syncQuarantine = sqliteTable(
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

/** Every shared tenant table, by SQL name. */
export const tenantTables = {
  settings,
  roles,
  branches,
  users,
  tax_rates: taxRates,
  devices,
  terminals,
  products,
  prices,
  customers,
  shifts,
  cash_movements: cashMovements,
  shift_counts: shiftCounts,
  sales,
  sale_lines: saleLines,
  payments,
  stock_movements: stockMovements,
  stock_on_hand: stockOnHand,
  audit_logs: auditLogs,
  change_log: changeLog,
  sync_quarantine: syncQuarantine,
  hq_sessions: hqSessions,
} as const;
