// What an edge pushes: each mutation with its per-device gapless seq and a UUID, and the documents it
// carries (a sale or refund, a shift opened or closed, a cash movement). The edge writes these to its
// outbox as they go on the wire; the cloud validates each payload and quarantines what fails.
import { z } from 'zod';
import { codeSchema, paymentMethods, text } from '../domain/payloads.ts';
import { saleFlags } from '../domain/sale.ts';

const id = text(64).min(1);
const minor = z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const nonNegative = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const instant = z.iso.datetime({ offset: true });
/** Flags of a document or line (src/domain/sale.ts says what each means). */
export const flagsSchema = z.array(z.enum(saleFlags));
const flags = flagsSchema;

export const mutationKinds = ['sale', 'refund', 'shift_open', 'cash_movement', 'shift_close'] as const;
export type MutationKind = (typeof mutationKinds)[number];

/** Line numbers are `int4` columns. */
const lineNo = z.number().int().positive().max(2_147_483_647);

export const documentLineSchema = z.strictObject({
  lineNo,
  productId: id.nullable(),
  name: text(200).min(1),
  qtyMilli: z.number().int().positive(),
  unitPriceMinor: nonNegative,
  amountMinor: nonNegative,
  discountMinor: nonNegative,
  taxRateBp: z.number().int().min(0).max(100_000),
  taxInclusive: z.boolean(),
  taxMinor: nonNegative,
  totalMinor: nonNegative,
  flags,
  /** The sale line a refund line takes back; null on a sale. */
  originalLineNo: lineNo.nullable(),
});

export const documentPaymentSchema = z.strictObject({
  method: z.enum(paymentMethods),
  amountMinor: nonNegative,
  tenderedMinor: nonNegative,
  changeMinor: nonNegative,
  reference: text(120).nullable(),
});

/** A sale or refund exactly as the edge answered it (201), plus the stock movements it wrote. */
export const saleDocumentSchema = z.strictObject({
  id,
  kind: z.enum(['sale', 'refund']),
  receiptNo: text(64).min(1),
  originalSaleId: id.nullable(),
  branch: codeSchema,
  terminal: codeSchema,
  shiftId: id.nullable(),
  cashier: text(254).nullable(),
  cashierUserId: id.nullable(),
  customerId: id.nullable(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  subtotalMinor: nonNegative,
  discountMinor: nonNegative,
  taxMinor: nonNegative,
  totalMinor: nonNegative,
  changeMinor: nonNegative,
  occurredAt: instant,
  businessDate: z.iso.date(),
  reason: text(500).nullable(),
  flags,
  lines: z
    .array(documentLineSchema)
    .min(1)
    .max(500)
    .refine((lines) => new Set(lines.map((l) => l.lineNo)).size === lines.length, 'line numbers are unique'),
  payments: z.array(documentPaymentSchema).max(20),
  stockMovements: z.array(z.strictObject({ id, productId: id, deltaQtyMilli: minor })).max(500),
});

export const shiftOpenedSchema = z.strictObject({
  id,
  branch: codeSchema,
  terminal: codeSchema,
  openedBy: text(254).nullable(),
  openedAt: instant,
  openingFloatMinor: nonNegative,
  businessDate: z.iso.date(),
  closedBy: z.null(),
  closedAt: z.null(),
});

export const cashMovementDocumentSchema = z.strictObject({
  id,
  shiftId: id,
  direction: z.enum(['in', 'out']),
  amountMinor: nonNegative.refine((n) => n > 0, 'a cash movement is more than zero'),
  reason: text(500).min(1),
  cashier: text(254).nullable(),
  occurredAt: instant,
});

export const shiftClosedSchema = z.strictObject({
  shiftId: id,
  closedAt: instant,
  closedBy: text(254).nullable(),
  counted: z
    .array(z.strictObject({ method: z.enum(paymentMethods), countedMinor: nonNegative }))
    .min(1)
    .max(paymentMethods.length),
});

/** The payload schema of each kind: the cloud quarantines a mutation whose payload fails its schema. */
export const payloadSchemas = {
  sale: saleDocumentSchema,
  refund: saleDocumentSchema,
  shift_open: shiftOpenedSchema,
  cash_movement: cashMovementDocumentSchema,
  shift_close: shiftClosedSchema,
} as const satisfies Record<MutationKind, z.ZodType>;

export type PayloadOf<K extends MutationKind> = z.infer<(typeof payloadSchemas)[K]>;
export type SaleDocument = z.infer<typeof saleDocumentSchema>;
export type DocumentLine = z.infer<typeof documentLineSchema>;
export type ShiftOpened = z.infer<typeof shiftOpenedSchema>;
export type CashMovementDocument = z.infer<typeof cashMovementDocumentSchema>;
export type ShiftClosed = z.infer<typeof shiftClosedSchema>;

/**
 * One mutation on the wire. The frame checks only this envelope, so a payload that fails its kind's
 * schema is quarantined on its own instead of failing the whole batch.
 */
export const mutationSchema = z.strictObject({
  /** Per-device, gapless from 1, assigned in the transaction that recorded the mutation. */
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  /** The mutation's UUID (for a document, its id). */
  id,
  kind: text(32).min(1),
  payload: z.unknown(),
});
export type Mutation = z.infer<typeof mutationSchema>;
