// Stock documents as the edge's API and HQ take them, and the ledger rows each document makes. The
// rows are derived the same way at the edge and in the cloud (ids included), so a movement the edge
// wrote and the one the cloud sends back in a pull are one row, never counted twice (docs/stock.md).
import { z } from 'zod';
import type { StockDocument } from '../protocol/stock.ts';
import {
  MAX_RECEIPT_LINE_VALUE_MILLI,
  MAX_STOCK_LINES,
  qtyMilliSchema,
  stockDeltaSchema,
  stockLevelSchema,
  strictObject,
  text,
  textLimits,
  unitCostSchema,
} from './bounds.ts';
import { codeSchema } from './payloads.ts';

const productId = text(textLimits.id).min(1);
const note = text(textLimits.reason).trim().min(1).optional();
const cashier = text(textLimits.person).trim().min(1).optional();

const lines = <L extends z.ZodType<{ productId: string }>>(line: L) =>
  z
    .array(line)
    .min(1)
    .max(MAX_STOCK_LINES)
    .refine((ls) => new Set(ls.map((l) => l.productId)).size === ls.length, 'each product appears once');

/** POST /v1/stock/receipts: goods received, with what one unit cost. */
export const receiptInputSchema = strictObject({
  id: z.uuid().optional(),
  cashier,
  note,
  lines: lines(
    strictObject({ productId, qtyMilli: qtyMilliSchema, unitCostMinor: unitCostSchema }).refine(
      (l) => BigInt(l.qtyMilli) * BigInt(l.unitCostMinor) <= MAX_RECEIPT_LINE_VALUE_MILLI,
      'a receipt line is worth at most 1,000,000,000,000 minor units (quantity × unit cost)',
    ),
  ),
});

/** POST /v1/stock/adjustments: stock found or lost, with a reason. */
export const adjustmentInputSchema = strictObject({
  id: z.uuid().optional(),
  cashier,
  reason: text(textLimits.reason).trim().min(1),
  lines: lines(
    strictObject({
      productId,
      deltaQtyMilli: stockDeltaSchema.refine((n) => n !== 0, 'an adjustment changes stock'),
    }),
  ),
});

/** POST /v1/stock/counts: what was counted; on hand becomes it. */
export const countInputSchema = strictObject({
  id: z.uuid().optional(),
  cashier,
  note,
  lines: lines(strictObject({ productId, countedQtyMilli: stockLevelSchema })),
});

/** POST /v1/stock/transfers: goods sent to another branch. */
export const transferInputSchema = strictObject({
  id: z.uuid().optional(),
  cashier,
  toBranch: codeSchema,
  note,
  lines: lines(strictObject({ productId, qtyMilli: qtyMilliSchema })),
});

export type ReceiptInput = z.infer<typeof receiptInputSchema>;
export type AdjustmentInput = z.infer<typeof adjustmentInputSchema>;
export type CountInput = z.infer<typeof countInputSchema>;
export type TransferInput = z.infer<typeof transferInputSchema>;

/** Each stock route's input, by the mutation kind it records. */
export const stockInputSchemas = {
  stock_receipt: receiptInputSchema,
  stock_adjustment: adjustmentInputSchema,
  stock_count: countInputSchema,
  stock_transfer: transferInputSchema,
} as const;

/** A ledger row of a stock document (stock_movements). */
export interface LedgerMovement {
  id: string;
  branch: string;
  productId: string;
  /** For a count, 0 here: the delta is what on hand was before it, which the ledger's owner computes. */
  deltaQtyMilli: number;
  reason: 'receive' | 'adjust' | 'count' | 'transfer';
  occurredAt: string;
  countedQtyMilli: number | null;
  unitCostMinor: number | null;
  sourceId: string;
}

/** The ledger rows of a stock document: one per line, two per transfer line (out of one branch, into the other). */
export function movementsOf(d: StockDocument): LedgerMovement[] {
  const base = (lineNo: number, productId: string) => ({
    id: `${d.doc.id}/${lineNo}`,
    branch: d.doc.branch,
    productId,
    occurredAt: d.doc.occurredAt,
    countedQtyMilli: null,
    unitCostMinor: null,
    sourceId: d.doc.id,
  });
  switch (d.kind) {
    case 'stock_receipt':
      return d.doc.lines.map((l) => ({
        ...base(l.lineNo, l.productId),
        deltaQtyMilli: l.qtyMilli,
        reason: 'receive',
        unitCostMinor: l.unitCostMinor,
      }));
    case 'stock_adjustment':
      return d.doc.lines.map((l) => ({
        ...base(l.lineNo, l.productId),
        deltaQtyMilli: l.deltaQtyMilli,
        reason: 'adjust',
      }));
    case 'stock_count':
      return d.doc.lines.map((l) => ({
        ...base(l.lineNo, l.productId),
        deltaQtyMilli: 0,
        reason: 'count',
        countedQtyMilli: l.countedQtyMilli,
      }));
    case 'stock_transfer': {
      const to = d.doc.toBranch;
      return d.doc.lines.flatMap((l) => [
        { ...base(l.lineNo, l.productId), deltaQtyMilli: -l.qtyMilli, reason: 'transfer' as const },
        {
          ...base(l.lineNo, l.productId),
          id: `${d.doc.id}/${l.lineNo}/in`,
          branch: to,
          deltaQtyMilli: l.qtyMilli,
          reason: 'transfer' as const,
        },
      ]);
    }
  }
}
