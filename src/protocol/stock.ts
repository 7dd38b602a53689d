// The stock documents an edge pushes (and HQ writes): a goods receipt with the cost of each unit, an
// adjustment with its reason, a count (on hand set to the counted quantity at the count's instant)
// and a transfer to another branch. Each line names one product once; the ledger rows each document
// makes are derived from it the same way on both sides (src/domain/stock.ts).
import { z } from 'zod';
import {
  instantSchema,
  MAX_LINE_NO,
  MAX_RECEIPT_LINE_VALUE_MILLI,
  MAX_STOCK_LINES,
  qtyMilliSchema,
  stockDeltaSchema,
  stockLevelSchema,
  strictObject,
  text,
  textLimits,
  unitCostSchema,
} from '../domain/bounds.ts';
import { codeSchema } from '../domain/payloads.ts';

const id = text(textLimits.id).min(1);
const lineNo = z.number().int().positive().max(MAX_LINE_NO);
const note = text(textLimits.reason).nullable();

/** Lines numbered once each, naming each product once (a count of one product twice is ambiguous). */
const linesOf = <L extends z.ZodType<{ lineNo: number; productId: string }>>(line: L) =>
  z
    .array(line)
    .min(1)
    .max(MAX_STOCK_LINES)
    .refine((ls) => new Set(ls.map((l) => l.lineNo)).size === ls.length, 'line numbers are unique')
    .refine((ls) => new Set(ls.map((l) => l.productId)).size === ls.length, 'each product appears once');

/** What every stock document carries. */
const head = {
  id,
  /** The branch whose stock moves (a transfer's source). */
  branch: codeSchema,
  occurredAt: instantSchema,
  /** Who recorded it: the cashier at the till, the HQ user's email. */
  actor: text(textLimits.person).nullable(),
};

/** Goods received: each line's quantity and what one unit cost (for the valuation). */
export const stockReceiptSchema = strictObject({
  ...head,
  note,
  lines: linesOf(
    strictObject({ lineNo, productId: id, qtyMilli: qtyMilliSchema, unitCostMinor: unitCostSchema }).refine(
      (l) => BigInt(l.qtyMilli) * BigInt(l.unitCostMinor) <= MAX_RECEIPT_LINE_VALUE_MILLI,
      'a receipt line is worth at most 1,000,000,000,000 minor units (quantity × unit cost)',
    ),
  ),
});

/** Stock found or lost (damage, theft, a supplier's short delivery), always with a reason. */
export const stockAdjustmentSchema = strictObject({
  ...head,
  reason: text(textLimits.reason).min(1),
  lines: linesOf(
    strictObject({
      lineNo,
      productId: id,
      deltaQtyMilli: stockDeltaSchema.refine((n) => n !== 0, 'an adjustment changes stock'),
    }),
  ),
});

/** A stock count: on hand at `occurredAt` becomes the counted quantity. */
export const stockCountSchema = strictObject({
  ...head,
  note,
  lines: linesOf(strictObject({ lineNo, productId: id, countedQtyMilli: stockLevelSchema })),
});

/** Goods sent from `branch` to `toBranch`: out of one, into the other, at the same instant. */
export const stockTransferSchema = strictObject({
  ...head,
  toBranch: codeSchema,
  note,
  lines: linesOf(strictObject({ lineNo, productId: id, qtyMilli: qtyMilliSchema })),
}).refine((t) => t.toBranch !== t.branch, {
  message: 'a transfer goes to another branch',
  path: ['toBranch'],
});

export type StockReceipt = z.infer<typeof stockReceiptSchema>;
export type StockAdjustment = z.infer<typeof stockAdjustmentSchema>;
export type StockCount = z.infer<typeof stockCountSchema>;
export type StockTransfer = z.infer<typeof stockTransferSchema>;

/** The stock mutation kinds and their documents. */
export const stockKinds = ['stock_receipt', 'stock_adjustment', 'stock_count', 'stock_transfer'] as const;
export type StockKind = (typeof stockKinds)[number];

export interface StockDocuments {
  stock_receipt: StockReceipt;
  stock_adjustment: StockAdjustment;
  stock_count: StockCount;
  stock_transfer: StockTransfer;
}

/** A stock document with its kind. */
export type StockDocument = { [K in StockKind]: { kind: K; doc: StockDocuments[K] } }[StockKind];

export const isStockKind = (kind: string): kind is StockKind =>
  (stockKinds as readonly string[]).includes(kind);
