// zod schemas for the sale and refund payloads that cross a boundary (the edge cashier API, the sync
// protocol). Types are inferred from them; everything inside trusts the parsed shape.
import { z } from 'zod';
import {
  amountSchema,
  MAX_LINE_NO,
  MAX_LINES,
  MAX_PAYMENTS,
  positiveAmountSchema,
  qtyMilliSchema,
  stockDeltaSchema,
  strictObject,
  taxRateBpSchema,
  text,
  textLimits,
} from './bounds.ts';
import { CODE_PATTERN } from './receipt.ts';

// Text refuses control characters (Postgres refuses NUL, and none belongs on a receipt); bounds.ts
// declares every bound used here.
export { businessDateSchema, instantSchema, strictObject, text } from './bounds.ts';

const qtyMilli = qtyMilliSchema;
const minorAmount = amountSchema;
const person = () => text(textLimits.person).trim().min(1);
/** A branch or terminal code, as receipts print it. */
export const codeSchema = z.string().regex(CODE_PATTERN, 'use 1–16 capital letters, digits or underscores');

export const paymentMethods = ['cash', 'card', 'voucher', 'other'] as const;
export type PaymentMethod = (typeof paymentMethods)[number];

/** A line naming a catalog product by exactly one of sku, barcode or productId; unitPriceMinor overrides the catalog price (flagged). */
export const catalogLineSchema = strictObject({
  sku: text(textLimits.sku).min(1).optional(),
  barcode: text(textLimits.sku).min(1).optional(),
  productId: text(textLimits.id).min(1).optional(),
  qtyMilli,
  unitPriceMinor: minorAmount.optional(),
  discountMinor: minorAmount.optional(),
});

/** An open-price line: a custom amount, as real registers allow (SPEC §7). */
export const openLineSchema = strictObject({
  name: text(textLimits.lineName).trim().min(1),
  unitPriceMinor: minorAmount,
  qtyMilli,
  taxRateBp: taxRateBpSchema,
  taxInclusive: z.boolean().optional(),
  discountMinor: minorAmount.optional(),
});

export const saleLineSchema = z.union([openLineSchema, catalogLineSchema]).superRefine((line, ctx) => {
  if ('name' in line) return;
  const refs = [line.sku, line.barcode, line.productId].filter((r) => r !== undefined).length;
  if (refs !== 1)
    ctx.addIssue({
      code: 'custom',
      message: 'a line names exactly one of sku, barcode or productId, or is an open-price line with name',
    });
});

export const paymentSchema = strictObject({
  method: z.enum(paymentMethods),
  amountMinor: positiveAmountSchema,
  reference: text(textLimits.reference).optional(),
});

/** A cashier code, typed with a PIN at the till: 1–16 capital letters, digits or underscores. */
export const cashierCodeSchema = codeSchema;
/** A PIN as cashiers and managers are given them (cloud/catalog/schemas.ts): 4–8 digits. */
export const pinSchema = z.string().regex(/^\d{4,8}$/, 'a PIN is 4–8 digits');

/** A manager's code and PIN approving what needs approval (docs/edge.md#approvals). */
export const approvalInputSchema = strictObject({ code: cashierCodeSchema, pin: pinSchema });

/** POST /v1/cashier-sessions: sign in at a terminal. */
export const signInSchema = strictObject({ terminal: codeSchema, code: cashierCodeSchema, pin: pinSchema });

/** POST /v1/drawer/no-sale: open the drawer without a sale (always needs a manager). */
export const noSaleSchema = strictObject({
  id: z.uuid().optional(),
  terminal: codeSchema,
  reason: text(textLimits.reason).trim().min(1).optional(),
  approval: approvalInputSchema.optional(),
});

/** POST /v1/sales (SPEC §7). */
export const saleInputSchema = strictObject({
  id: z.uuid().optional(),
  terminal: codeSchema,
  cashier: person().optional(),
  customerId: text(textLimits.id).min(1).optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  lines: z.array(saleLineSchema).min(1).max(MAX_LINES),
  /** Empty only for a sale that comes to zero (free or fully discounted items). */
  payments: z.array(paymentSchema).max(MAX_PAYMENTS),
  /** A manager's approval of a price override. */
  approval: approvalInputSchema.optional(),
});

/**
 * POST /v1/carts/quote: a cart priced as the sale would be, recording nothing; with payments, also
 * how they settle (change, or `payment_short`).
 */
export const cartQuoteSchema = strictObject({
  currency: saleInputSchema.shape.currency,
  lines: saleInputSchema.shape.lines,
  payments: saleInputSchema.shape.payments.optional(),
});

/** POST /v1/sales/:id/refunds/quote: what refunding these lines would give back, recording nothing. */
export const refundQuoteSchema = strictObject({
  lines: z
    .array(strictObject({ lineNo: z.number().int().positive().max(MAX_LINE_NO), qtyMilli }))
    .min(1)
    .max(MAX_LINES),
});

/** POST /v1/sales/:id/refunds: which original lines, how much of each, and how the money goes back. */
export const refundInputSchema = strictObject({
  id: z.uuid().optional(),
  terminal: codeSchema,
  cashier: person().optional(),
  reason: text(textLimits.reason).trim().min(1).optional(),
  lines: z
    .array(strictObject({ lineNo: z.number().int().positive().max(MAX_LINE_NO), qtyMilli }))
    .min(1)
    .max(MAX_LINES),
  /** What goes back to the customer; empty only when the refunded lines come to zero. */
  payments: z.array(paymentSchema).max(MAX_PAYMENTS),
  /** A manager's approval of a refund over the limit. */
  approval: approvalInputSchema.optional(),
});

/** POST /v1/shifts: open a shift on a terminal with its float. */
export const shiftOpenSchema = strictObject({
  id: z.uuid().optional(),
  terminal: codeSchema,
  cashier: person().optional(),
  openingFloatMinor: minorAmount,
});

/** POST /v1/shifts/:id/cash-movements: cash put in or taken out, always with a reason. */
export const cashMovementSchema = strictObject({
  id: z.uuid().optional(),
  direction: z.enum(['in', 'out']),
  amountMinor: positiveAmountSchema,
  reason: text(textLimits.reason).trim().min(1),
  cashier: person().optional(),
});

/** POST /v1/shifts/:id/close: what was counted, per tender (at least cash). */
export const shiftCloseSchema = strictObject({
  cashier: person().optional(),
  counted: z
    .array(strictObject({ method: z.enum(paymentMethods), countedMinor: minorAmount }))
    .min(1)
    .max(paymentMethods.length)
    .refine((c) => new Set(c.map((x) => x.method)).size === c.length, 'each tender is counted once')
    .refine((c) => c.some((x) => x.method === 'cash'), 'the cash drawer is always counted'),
});

/** A stock movement recorded by hand (receive, adjust, count, transfer); sales and refunds write their own. */
export const stockMovementSchema = strictObject({
  id: z.uuid().optional(),
  productId: text(textLimits.id).min(1),
  deltaQtyMilli: stockDeltaSchema.refine((n) => n !== 0, 'a movement changes stock'),
  reason: z.enum(['receive', 'adjust', 'count', 'transfer']),
  note: text(textLimits.reason).trim().optional(),
});

export type SaleLineInput = z.infer<typeof saleLineSchema>;
export type ShiftOpen = z.infer<typeof shiftOpenSchema>;
export type CashMovementInput = z.infer<typeof cashMovementSchema>;
export type ShiftClose = z.infer<typeof shiftCloseSchema>;
export type StockMovementInput = z.infer<typeof stockMovementSchema>;
export type PaymentInput = z.infer<typeof paymentSchema>;
export type SaleInput = z.infer<typeof saleInputSchema>;
export type CartQuoteInput = z.infer<typeof cartQuoteSchema>;
export type RefundQuoteInput = z.infer<typeof refundQuoteSchema>;
export type RefundInput = z.infer<typeof refundInputSchema>;
export type SignInInput = z.infer<typeof signInSchema>;
export type NoSaleInput = z.infer<typeof noSaleSchema>;
