// The raw ceiling of the sync benchmarks: the rows of pushed sale documents written with a bare pg
// client, per batch one transaction of `INSERT … SELECT * FROM unnest($1::t[], …) ON CONFLICT DO
// NOTHING` per table, no platform code in between. Arrays are built before the clock starts.
import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { SaleDocument } from '../../src/protocol/mutations.ts';

type Value = string | number | boolean | null;
type Columns<T> = readonly (readonly [name: string, pgType: string, value: (row: T) => Value])[];

interface Line {
  s: SaleDocument;
  l: SaleDocument['lines'][number];
}
interface Payment {
  s: SaleDocument;
  no: number;
  p: SaleDocument['payments'][number];
}
interface Movement {
  s: SaleDocument;
  m: SaleDocument['stockMovements'][number];
}

/** Each table's columns, as the tenant schema has them (0002_pos.pg.sql; lines and payments + 0006). */
function saleColumns(deviceId: string, receivedAt: string): Columns<SaleDocument> {
  return [
    ['id', 'text', (s) => s.id],
    ['receipt_no', 'text', (s) => s.receiptNo],
    ['kind', 'text', (s) => s.kind],
    ['original_sale_id', 'text', (s) => s.originalSaleId],
    ['branch_code', 'text', (s) => s.branch],
    ['terminal', 'text', (s) => s.terminal],
    ['device_id', 'text', () => deviceId],
    ['shift_id', 'text', (s) => s.shiftId],
    ['cashier', 'text', (s) => s.cashier],
    ['cashier_user_id', 'text', (s) => s.cashierUserId],
    ['customer_id', 'text', (s) => s.customerId],
    ['currency', 'text', (s) => s.currency],
    ['subtotal_minor', 'int8', (s) => s.subtotalMinor],
    ['discount_minor', 'int8', (s) => s.discountMinor],
    ['tax_minor', 'int8', (s) => s.taxMinor],
    ['total_minor', 'int8', (s) => s.totalMinor],
    ['change_minor', 'int8', (s) => s.changeMinor],
    ['occurred_at', 'timestamptz', (s) => s.occurredAt],
    ['business_date', 'date', (s) => s.businessDate],
    ['reason', 'text', (s) => s.reason],
    ['flags', 'text', (s) => JSON.stringify(s.flags)],
    ['received_at', 'timestamptz', () => receivedAt],
  ];
}
const lineColumns: Columns<Line> = [
  ['sale_id', 'text', (r) => r.s.id],
  ['line_no', 'int4', (r) => r.l.lineNo],
  ['product_id', 'text', (r) => r.l.productId],
  ['name', 'text', (r) => r.l.name],
  ['qty_milli', 'int8', (r) => r.l.qtyMilli],
  ['unit_price_minor', 'int8', (r) => r.l.unitPriceMinor],
  ['amount_minor', 'int8', (r) => r.l.amountMinor],
  ['discount_minor', 'int8', (r) => r.l.discountMinor],
  ['tax_rate_bp', 'int4', (r) => r.l.taxRateBp],
  ['tax_inclusive', 'bool', (r) => r.l.taxInclusive],
  ['tax_minor', 'int8', (r) => r.l.taxMinor],
  ['total_minor', 'int8', (r) => r.l.totalMinor],
  ['original_line_no', 'int4', (r) => r.l.originalLineNo],
  ['flags', 'text', (r) => JSON.stringify(r.l.flags)],
  ['business_date', 'date', (r) => r.s.businessDate],
  ['kind', 'text', (r) => r.s.kind],
  ['branch_code', 'text', (r) => r.s.branch],
];
const paymentColumns: Columns<Payment> = [
  ['sale_id', 'text', (r) => r.s.id],
  ['payment_no', 'int4', (r) => r.no],
  ['method', 'text', (r) => r.p.method],
  ['amount_minor', 'int8', (r) => r.p.amountMinor],
  ['tendered_minor', 'int8', (r) => r.p.tenderedMinor],
  ['change_minor', 'int8', (r) => r.p.changeMinor],
  ['reference', 'text', (r) => r.p.reference],
  ['business_date', 'date', (r) => r.s.businessDate],
  ['kind', 'text', (r) => r.s.kind],
  ['branch_code', 'text', (r) => r.s.branch],
];
const movementColumns: Columns<Movement> = [
  ['id', 'text', (r) => r.m.id],
  ['branch_code', 'text', (r) => r.s.branch],
  ['product_id', 'text', (r) => r.m.productId],
  ['delta_qty_milli', 'int8', (r) => r.m.deltaQtyMilli],
  ['reason', 'text', (r) => r.s.kind],
  ['occurred_at', 'timestamptz', (r) => r.s.occurredAt],
  ['source_id', 'text', (r) => r.s.id],
];

/** One statement ready to run: its SQL and one array parameter per column. */
export interface RawStatement {
  sql: string;
  params: Value[][];
}

function statement<T>(table: string, columns: Columns<T>, rows: readonly T[]): RawStatement {
  const names = columns.map(([name]) => name).join(', ');
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  return {
    sql: `INSERT INTO ${table} (${names}) SELECT * FROM unnest(${arrays}) ON CONFLICT DO NOTHING`,
    params: columns.map(([, , value]) => rows.map(value)),
  };
}

/** The four statements of each batch of `batchSize` documents (sales first: the others reference them). */
export function rawBatches(
  docs: readonly SaleDocument[],
  options: { batchSize: number; deviceId: string; receivedAt: string },
): RawStatement[][] {
  const batches: RawStatement[][] = [];
  for (let i = 0; i < docs.length; i += options.batchSize) {
    const batch = docs.slice(i, i + options.batchSize);
    batches.push([
      statement('sales', saleColumns(options.deviceId, options.receivedAt), batch),
      statement(
        'sale_lines',
        lineColumns,
        batch.flatMap((s) => s.lines.map((l) => ({ s, l }))),
      ),
      statement(
        'payments',
        paymentColumns,
        batch.flatMap((s) => s.payments.map((p, n) => ({ s, no: n + 1, p }))),
      ),
      statement(
        'stock_movements',
        movementColumns,
        batch.flatMap((s) => s.stockMovements.map((m) => ({ s, m }))),
      ),
    ]);
  }
  return batches;
}

/** Runs each batch in its own transaction on `client`. */
export async function runRawBatches(client: pg.Client, batches: readonly RawStatement[][]): Promise<void> {
  for (const batch of batches) {
    await client.query('BEGIN');
    try {
      for (const s of batch) await client.query(s.sql, s.params);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }
}

/** The sale documents an edge's outbox holds, in seq order (what a push sends). */
export function outboxSales(sqlite: Database.Database): SaleDocument[] {
  return sqlite
    .prepare("SELECT payload FROM outbox WHERE kind = 'sale' ORDER BY seq")
    .pluck()
    .all()
    .map((p) => JSON.parse(p as string) as SaleDocument);
}
