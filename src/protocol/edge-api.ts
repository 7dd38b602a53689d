// What the edge's cashier API answers (docs/edge.md), as zod schemas: the OpenAPI document at the
// edge's /openapi.json is generated from them, and tests check real answers against them. The sale
// and stock documents are the sync protocol's own schemas; the rest are this API's views.
import { z } from 'zod';
import { chainVerdictSchema, shiftSealSchema } from './journal.ts';
import {
  cashierEventSchema,
  cashMovementDocumentSchema,
  documentLineSchema,
  documentPaymentSchema,
  saleDocumentSchema,
} from './mutations.ts';
import { stockAdjustmentSchema, stockCountSchema, stockReceiptSchema, stockTransferSchema } from './stock.ts';

const instant = z.string();
const minor = z.number().int();
const nullableInstant = instant.nullable();

export const statusSchema = z.strictObject({ status: z.literal('ok'), branch: z.string() });

export const tillUserSchema = z.strictObject({ id: z.string(), name: z.string(), role: z.string() });

/** 201 of POST /v1/cashier-sessions: the token is shown once. */
export const signedInSchema = z.strictObject({
  token: z.string(),
  expiresAt: instant,
  user: tillUserSchema,
  terminal: z.string(),
});

export const cashierSessionSchema = z.strictObject({
  id: z.string(),
  terminal: z.string(),
  startedAt: instant,
  expiresAt: instant,
  user: tillUserSchema,
});

export const sessionEndedSchema = z.strictObject({ id: z.string(), endedAt: instant });

/** A sale or refund as the edge answers it: the synced document without its stock movements. */
export const saleViewSchema = saleDocumentSchema.omit({ stockMovements: true });

export const saleSummarySchema = z.strictObject({
  id: z.string(),
  kind: z.enum(['sale', 'refund']),
  receiptNo: z.string(),
  originalSaleId: z.string().nullable(),
  terminal: z.string(),
  shiftId: z.string().nullable(),
  cashier: z.string().nullable(),
  currency: z.string(),
  totalMinor: minor,
  occurredAt: instant,
  businessDate: z.string(),
  flags: z.array(z.string()),
});

export const salePageSchema = z.strictObject({
  sales: z.array(saleSummarySchema),
  /** Pass as `before` for the next page; null on the last. */
  next: z.string().nullable(),
});

export const productViewSchema = z.strictObject({
  id: z.string(),
  sku: z.string(),
  name: z.string(),
  priceMinor: minor.nullable(),
  taxRateBp: z.number().int(),
  taxInclusive: z.boolean(),
  active: z.boolean(),
  barcode: z.string().nullable(),
  category: z.string().nullable(),
  taxRateId: z.string(),
});

export const productListSchema = z.strictObject({ products: z.array(productViewSchema) });

export const shiftViewSchema = z.strictObject({
  id: z.string(),
  branch: z.string(),
  terminal: z.string(),
  openedBy: z.string().nullable(),
  openedByUserId: z.string().nullable(),
  openedAt: instant,
  openingFloatMinor: minor,
  businessDate: z.string(),
  closedBy: z.string().nullable(),
  closedByUserId: z.string().nullable(),
  closedAt: nullableInstant,
});

/** A drawer's tender at an X (counted null) or Z report: what it should hold and what was counted. */
export const tenderLineSchema = z.strictObject({
  method: z.string(),
  expectedMinor: minor,
  countedMinor: minor.nullable(),
  differenceMinor: minor.nullable(),
});

export const shiftReportSchema = z.strictObject({
  kind: z.enum(['x', 'z']),
  shift: shiftViewSchema,
  salesCount: z.number().int(),
  salesTotalMinor: minor,
  refundsCount: z.number().int(),
  refundsTotalMinor: minor,
  taxMinor: minor,
  cashInMinor: minor,
  cashOutMinor: minor,
  tenders: z.array(tenderLineSchema),
  /** A Z report's seal (docs/journal.md#sealed-z); null on an X report and on a shift closed before the journal. */
  seal: shiftSealSchema.nullable(),
  generatedAt: instant,
});

/** GET /v1/journal/verify: each terminal chain of this edge walked from its stored rows (docs/edge.md#the-journal). */
export const journalVerificationSchema = z.strictObject({
  /** Every chain verified. */
  intact: z.boolean(),
  chains: z.array(chainVerdictSchema),
});

/** A cash movement in or out of a shift's drawer: the synced document. */
export const cashMovementViewSchema = cashMovementDocumentSchema;

/** The no-sale drawer opening: the synced cashier event. */
export const cashierEventViewSchema = cashierEventSchema;

export const stockDocumentViews = {
  receipt: stockReceiptSchema,
  adjustment: stockAdjustmentSchema,
  count: stockCountSchema,
  transfer: stockTransferSchema,
} as const;

export const edgeOnHandSchema = z.strictObject({
  branch: z.string(),
  onHand: z.array(
    z.strictObject({
      productId: z.string(),
      sku: z.string().nullable(),
      name: z.string().nullable(),
      qtyMilli: z.number(),
    }),
  ),
});

export const syncStatusSchema = z.strictObject({
  pending: z.number().int(),
  oldestPendingAgeSeconds: z.number().nullable(),
  lastSyncAt: nullableInstant,
  outboxEmptyAt: nullableInstant,
  lastError: z.string().nullable(),
  quarantined: z.number().int(),
  connected: z.boolean(),
});

const totals = { subtotalMinor: minor, discountMinor: minor, taxMinor: minor, totalMinor: minor };

/** A cart's lines as the sale would record them (no original line: a sale's). */
export const quotedLineSchema = documentLineSchema.omit({ originalLineNo: true });
/** A refund's lines as it would record them: each names the sale line it takes back; no flags. */
export const quotedRefundLineSchema = documentLineSchema
  .omit({ flags: true })
  .extend({ originalLineNo: z.number().int() });

export const cartQuoteSchema = z.strictObject({
  ...totals,
  currency: z.string(),
  lines: z.array(quotedLineSchema),
  flags: z.array(z.string()),
  /** With payments: how they settle, as the sale would record them. */
  payments: z.array(documentPaymentSchema).optional(),
  changeMinor: minor.optional(),
});

export const refundQuoteViewSchema = z.strictObject({
  ...totals,
  saleId: z.string(),
  receiptNo: z.string(),
  currency: z.string(),
  lines: z.array(quotedRefundLineSchema),
});

export const receiptLookupSchema = z.strictObject({
  sale: saleViewSchema,
  refunded: z.array(z.strictObject({ lineNo: z.number().int(), qtyMilli: z.number().int() })),
});

export const openShiftSchema = z.strictObject({ shift: shiftViewSchema.nullable() });

export const branchInfoSchema = z.strictObject({
  branch: z.string(),
  currency: z.string().nullable(),
  timeZone: z.string(),
  taxRates: z.array(
    z.strictObject({
      name: z.string(),
      rateBp: z.number().int(),
      inclusive: z.boolean(),
      isDefault: z.boolean(),
    }),
  ),
});
