// zod schemas for the sale and refund payloads that cross a boundary (the edge cashier API, the sync
// protocol). Types are inferred from them; everything inside trusts the parsed shape.
import { z } from 'zod';
import { CODE_PATTERN } from './receipt.ts';

/** Control characters other than tab and line breaks: Postgres refuses NUL in text, and none belongs on a receipt. */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return true;
  }
  return false;
}

/** Text a person typed or a system named: no control characters (NUL would stop a device's sync queue). */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !hasControlCharacter(s), 'control characters are not allowed');

const qtyMilli = z.number().int().positive().max(1_000_000_000);
const minorAmount = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** A branch or terminal code, as receipts print it. */
export const codeSchema = z.string().regex(CODE_PATTERN, 'use 1–16 capital letters, digits or underscores');

export const paymentMethods = ['cash', 'card', 'voucher', 'other'] as const;
export type PaymentMethod = (typeof paymentMethods)[number];

/** A line naming a catalog product by exactly one of sku, barcode or productId; unitPriceMinor overrides the catalog price (flagged). */
export const catalogLineSchema = z.strictObject({
  sku: text(64).min(1).optional(),
  barcode: text(64).min(1).optional(),
  productId: text(64).min(1).optional(),
  qtyMilli,
  unitPriceMinor: minorAmount.optional(),
  discountMinor: minorAmount.optional(),
});

/** An open-price line: a custom amount, as real registers allow (SPEC §7). */
export const openLineSchema = z.strictObject({
  name: text(120).trim().min(1),
  unitPriceMinor: minorAmount,
  qtyMilli,
  taxRateBp: z.number().int().min(0).max(100_000),
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

export const paymentSchema = z.strictObject({
  method: z.enum(paymentMethods),
  amountMinor: minorAmount.refine((n) => n > 0, 'a payment is more than zero'),
  reference: text(120).optional(),
});

/** POST /v1/sales (SPEC §7). */
export const saleInputSchema = z.strictObject({
  id: z.uuid().optional(),
  terminal: codeSchema,
  cashier: text(254).trim().min(1).optional(),
  customerId: text(64).min(1).optional(),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .optional(),
  lines: z.array(saleLineSchema).min(1).max(500),
  /** Empty only for a sale that comes to zero (free or fully discounted items). */
  payments: z.array(paymentSchema).max(20),
});

/** POST /v1/sales/:id/refunds: which original lines, how much of each, and how the money goes back. */
export const refundInputSchema = z.strictObject({
  id: z.uuid().optional(),
  terminal: codeSchema,
  cashier: text(254).trim().min(1).optional(),
  reason: text(500).trim().min(1).optional(),
  lines: z
    .array(z.strictObject({ lineNo: z.number().int().positive(), qtyMilli }))
    .min(1)
    .max(500),
  /** What goes back to the customer; empty only when the refunded lines come to zero. */
  payments: z.array(paymentSchema).max(20),
});

/** POST /v1/shifts: open a shift on a terminal with its float. */
export const shiftOpenSchema = z.strictObject({
  id: z.uuid().optional(),
  terminal: codeSchema,
  cashier: text(254).trim().min(1).optional(),
  openingFloatMinor: minorAmount,
});

/** POST /v1/shifts/:id/cash-movements: cash put in or taken out, always with a reason. */
export const cashMovementSchema = z.strictObject({
  id: z.uuid().optional(),
  direction: z.enum(['in', 'out']),
  amountMinor: minorAmount.refine((n) => n > 0, 'a cash movement is more than zero'),
  reason: text(500).trim().min(1),
  cashier: text(254).trim().min(1).optional(),
});

/** POST /v1/shifts/:id/close: what was counted, per tender (at least cash). */
export const shiftCloseSchema = z.strictObject({
  cashier: text(254).trim().min(1).optional(),
  counted: z
    .array(z.strictObject({ method: z.enum(paymentMethods), countedMinor: minorAmount }))
    .min(1)
    .max(paymentMethods.length)
    .refine((c) => new Set(c.map((x) => x.method)).size === c.length, 'each tender is counted once')
    .refine((c) => c.some((x) => x.method === 'cash'), 'the cash drawer is always counted'),
});

/** A stock movement recorded by hand (receive, adjust, count, transfer); sales and refunds write their own. */
export const stockMovementSchema = z.strictObject({
  id: z.uuid().optional(),
  productId: text(64).min(1),
  deltaQtyMilli: z
    .number()
    .int()
    .min(-1_000_000_000)
    .max(1_000_000_000)
    .refine((n) => n !== 0, 'a movement changes stock'),
  reason: z.enum(['receive', 'adjust', 'count', 'transfer']),
  note: text(500).trim().optional(),
});

export type SaleLineInput = z.infer<typeof saleLineSchema>;
export type ShiftOpen = z.infer<typeof shiftOpenSchema>;
export type CashMovementInput = z.infer<typeof cashMovementSchema>;
export type ShiftClose = z.infer<typeof shiftCloseSchema>;
export type StockMovementInput = z.infer<typeof stockMovementSchema>;
export type PaymentInput = z.infer<typeof paymentSchema>;
export type SaleInput = z.infer<typeof saleInputSchema>;
export type RefundInput = z.infer<typeof refundInputSchema>;
