// The columns each sale table is written with, read straight from the pushed documents (a document,
// or a document and one of its lines, payments or movements), never copied into row objects first:
// a nightly backlog is 50,000 sales. The benchmark's raw ceiling (test/bench) keeps its own list on
// purpose, so that it stays an independent measure of the same rows.
import type { SaleDocument } from '../../src/protocol/mutations.ts';
import type { LedgerRow } from './stock-ledger.ts';
import type { Column } from './unnest.ts';

type Line = SaleDocument['lines'][number];
type Payment = SaleDocument['payments'][number];
type Movement = SaleDocument['stockMovements'][number];

/** A sale or refund with the seq that carried it. */
export interface SeqDocument {
  seq: number;
  doc: SaleDocument;
}

/** A sale or refund row; `device_seq` lets a resent seq be told from another document (tenant migration 0007). */
export const saleColumns = (deviceId: string, receivedAt: string): Column<SeqDocument>[] => [
  ['id', 'text', ({ doc: s }) => s.id],
  ['receipt_no', 'text', ({ doc: s }) => s.receiptNo],
  ['kind', 'text', ({ doc: s }) => s.kind],
  ['original_sale_id', 'text', ({ doc: s }) => s.originalSaleId],
  ['branch_code', 'text', ({ doc: s }) => s.branch],
  ['terminal', 'text', ({ doc: s }) => s.terminal],
  ['device_id', 'text', () => deviceId],
  ['shift_id', 'text', ({ doc: s }) => s.shiftId],
  ['cashier', 'text', ({ doc: s }) => s.cashier],
  ['cashier_user_id', 'text', ({ doc: s }) => s.cashierUserId],
  ['customer_id', 'text', ({ doc: s }) => s.customerId],
  ['currency', 'text', ({ doc: s }) => s.currency],
  ['subtotal_minor', 'int8', ({ doc: s }) => s.subtotalMinor],
  ['discount_minor', 'int8', ({ doc: s }) => s.discountMinor],
  ['tax_minor', 'int8', ({ doc: s }) => s.taxMinor],
  ['total_minor', 'int8', ({ doc: s }) => s.totalMinor],
  ['change_minor', 'int8', ({ doc: s }) => s.changeMinor],
  ['occurred_at', 'timestamptz', ({ doc: s }) => s.occurredAt],
  ['business_date', 'date', ({ doc: s }) => s.businessDate],
  ['reason', 'text', ({ doc: s }) => s.reason],
  ['flags', 'text', ({ doc: s }) => JSON.stringify(s.flags)],
  ['received_at', 'timestamptz', () => receivedAt],
  ['device_seq', 'int8', (m) => m.seq],
  // A manager's approval (protocol 5, tenant migration 0009); null when none or from an older edge.
  ['approved_by_user_id', 'text', ({ doc: s }) => s.approval?.approverUserId ?? null],
  ['approved_at', 'timestamptz', ({ doc: s }) => s.approval?.approvedAt ?? null],
  ['approval_reasons', 'text', ({ doc: s }) => (s.approval ? JSON.stringify(s.approval.reasons) : null)],
];

/** A line, with its document's date, kind and branch (tenant migration 0006): reports read lines without `sales`. */
export const lineColumns: Column<readonly [SaleDocument, Line]>[] = [
  ['sale_id', 'text', ([d]) => d.id],
  ['line_no', 'int4', ([, l]) => l.lineNo],
  ['product_id', 'text', ([, l]) => l.productId],
  ['name', 'text', ([, l]) => l.name],
  ['qty_milli', 'int8', ([, l]) => l.qtyMilli],
  ['unit_price_minor', 'int8', ([, l]) => l.unitPriceMinor],
  ['amount_minor', 'int8', ([, l]) => l.amountMinor],
  ['discount_minor', 'int8', ([, l]) => l.discountMinor],
  ['tax_rate_bp', 'int4', ([, l]) => l.taxRateBp],
  ['tax_inclusive', 'bool', ([, l]) => l.taxInclusive],
  ['tax_minor', 'int8', ([, l]) => l.taxMinor],
  ['total_minor', 'int8', ([, l]) => l.totalMinor],
  ['original_line_no', 'int4', ([, l]) => l.originalLineNo],
  ['flags', 'text', ([, l]) => JSON.stringify(l.flags)],
  // The document's date, kind and branch (tenant migration 0006): reports read lines without `sales`.
  ['business_date', 'date', ([d]) => d.businessDate],
  ['kind', 'text', ([d]) => d.kind],
  ['branch_code', 'text', ([d]) => d.branch],
];

/** A payment, numbered in the document's order, with its document's date, kind and branch. */
export const paymentColumns: Column<readonly [SaleDocument, Payment, number]>[] = [
  ['sale_id', 'text', ([d]) => d.id],
  ['payment_no', 'int4', ([, , i]) => i + 1],
  ['method', 'text', ([, p]) => p.method],
  ['amount_minor', 'int8', ([, p]) => p.amountMinor],
  ['tendered_minor', 'int8', ([, p]) => p.tenderedMinor],
  ['change_minor', 'int8', ([, p]) => p.changeMinor],
  ['reference', 'text', ([, p]) => p.reference],
  ['business_date', 'date', ([d]) => d.businessDate],
  ['kind', 'text', ([d]) => d.kind],
  ['branch_code', 'text', ([d]) => d.branch],
];

/** A sale's or refund's stock movement as a ledger row; its reason is the document's kind. */
export const ledgerRowOf = (d: SaleDocument, m: Movement, deviceId: string): LedgerRow => ({
  id: m.id,
  branch: d.branch,
  productId: m.productId,
  deltaQtyMilli: m.deltaQtyMilli,
  reason: d.kind,
  occurredAt: d.occurredAt,
  sourceId: d.id,
  deviceId,
  countedQtyMilli: null,
  unitCostMinor: null,
});
