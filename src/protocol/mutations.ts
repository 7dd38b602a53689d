// What an edge pushes: each mutation with its per-device gapless seq and a UUID, and the documents it
// carries (a sale or refund, a shift opened or closed, a cash movement). The edge writes these to its
// outbox as they go on the wire; the cloud validates each payload and quarantines what fails.
import { z } from 'zod';
import {
  amountSchema,
  businessDateSchema,
  instantSchema,
  MAX_DOCUMENT_MOVEMENTS,
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
} from '../domain/bounds.ts';
import { codeSchema, paymentMethods } from '../domain/payloads.ts';
import { saleFlags } from '../domain/sale.ts';
import { journalLinkSchema, shiftSealSchema } from './journal.ts';
import {
  stockAdjustmentSchema,
  stockCountSchema,
  stockKinds,
  stockReceiptSchema,
  stockTransferSchema,
} from './stock.ts';

// Every field is bounded (src/domain/bounds.ts, docs/bounds.md): what passes these schemas can be
// stored and summed by the cloud without a database error or an overflow.
const id = text(textLimits.id).min(1);
const nonNegative = amountSchema;
const instant = instantSchema;
const person = text(textLimits.person).nullable();
/**
 * Flags of a document or line (src/domain/sale.ts says what each means). One list for what an edge
 * pushes and what the cloud stores: `price_changed` is set only by the cloud, and an edge never
 * pushes it (one that did would only ask HQ to look, like any flag), but a document the cloud
 * stored still parses with this schema wherever it travels.
 */
export const flagsSchema = z.array(z.enum(saleFlags));
const flags = flagsSchema;

export const mutationKinds = [
  'sale',
  'refund',
  'shift_open',
  'cash_movement',
  'shift_close',
  'cashier_event',
  // Protocol 5: goods received, adjustments, counts and transfers (src/protocol/stock.ts).
  ...stockKinds,
] as const;
export type MutationKind = (typeof mutationKinds)[number];

/** Line numbers are `int4` columns. */
const lineNo = z.number().int().positive().max(MAX_LINE_NO);

export const documentLineSchema = strictObject({
  lineNo,
  productId: id.nullable(),
  name: text(textLimits.lineName).min(1),
  qtyMilli: qtyMilliSchema,
  unitPriceMinor: nonNegative,
  amountMinor: nonNegative,
  discountMinor: nonNegative,
  taxRateBp: taxRateBpSchema,
  taxInclusive: z.boolean(),
  taxMinor: nonNegative,
  totalMinor: nonNegative,
  flags,
  /** The sale line a refund line takes back; null on a sale. */
  originalLineNo: lineNo.nullable(),
});

export const documentPaymentSchema = strictObject({
  method: z.enum(paymentMethods),
  amountMinor: nonNegative,
  tenderedMinor: nonNegative,
  changeMinor: nonNegative,
  reference: text(textLimits.reference).nullable(),
});

/** What a manager's PIN approves at a till (docs/edge.md#approvals). */
export const approvalReasons = ['refund_over_limit', 'price_override', 'no_sale'] as const;
export type ApprovalReason = (typeof approvalReasons)[number];

/** A manager's approval, recorded on what it approved (protocol 5). */
export const approvalSchema = strictObject({
  approverUserId: id,
  approvedAt: instant,
  reasons: z
    .array(z.enum(approvalReasons))
    .min(1)
    .max(approvalReasons.length)
    .refine((r) => new Set(r).size === r.length, 'each reason once'),
});
export type Approval = z.infer<typeof approvalSchema>;
/** Quantity refunded per original line (one entry per line at most). */
export const refundedQtySchema = z
  .array(strictObject({ lineNo, qtyMilli: qtyMilliSchema }))
  .max(MAX_LINES)
  .refine((lines) => new Set(lines.map((l) => l.lineNo)).size === lines.length, 'one entry per line');
const refundedElsewhereSchema = refundedQtySchema;

/** A sale or refund exactly as the edge answered it (201), plus the stock movements it wrote. */
export const saleDocumentSchema = strictObject({
  id,
  kind: z.enum(['sale', 'refund']),
  receiptNo: text(textLimits.receiptNo).min(1),
  originalSaleId: id.nullable(),
  branch: codeSchema,
  terminal: codeSchema,
  shiftId: id.nullable(),
  cashier: person,
  cashierUserId: id.nullable(),
  customerId: id.nullable(),
  currency: z.string().regex(/^[A-Z]{3}$/),
  subtotalMinor: nonNegative,
  discountMinor: nonNegative,
  taxMinor: nonNegative,
  totalMinor: nonNegative,
  changeMinor: nonNegative,
  occurredAt: instant,
  businessDate: businessDateSchema,
  reason: text(textLimits.reason).nullable(),
  flags,
  lines: z
    .array(documentLineSchema)
    .min(1)
    .max(MAX_LINES)
    .refine((lines) => new Set(lines.map((l) => l.lineNo)).size === lines.length, 'line numbers are unique'),
  payments: z.array(documentPaymentSchema).max(MAX_PAYMENTS),
  stockMovements: z
    .array(strictObject({ id, productId: id, deltaQtyMilli: stockDeltaSchema }))
    .max(MAX_DOCUMENT_MOVEMENTS)
    .refine(
      (moves) => new Set(moves.map((m) => m.id)).size === moves.length,
      'stock movement ids are unique',
    ),
  /** The manager's approval of a refund over the limit or a price override (protocol 5; absent before). */
  approval: approvalSchema.nullable().optional(),
  /**
   * (Protocol 5, refunds only) What other tills had already refunded of the original, per original
   * line, as this till knew when it computed the refund (from the copy the cloud gave it): the cloud
   * recomputes the refund's shares against the till's own earlier refunds plus these. Absent: none
   * known. Each quantity is below what was sold (the till refuses a refund of nothing left).
   */
  refundedElsewhere: refundedElsewhereSchema.optional(),
  /** Its link in its terminal's hash chain (protocol 6, docs/journal.md); absent: recorded before the journal (pre-journal). */
  journal: journalLinkSchema.optional(),
});

export const shiftOpenedSchema = strictObject({
  id,
  branch: codeSchema,
  terminal: codeSchema,
  openedBy: person,
  openedAt: instant,
  openingFloatMinor: nonNegative,
  businessDate: businessDateSchema,
  closedBy: z.null(),
  closedAt: z.null(),
  /** The signed-in user who opened it (protocol 5; absent before, null in open mode). */
  openedByUserId: id.nullable().optional(),
  /** Its link in its terminal's hash chain (protocol 6, docs/journal.md); absent: recorded before the journal (pre-journal). */
  journal: journalLinkSchema.optional(),
});

export const cashMovementDocumentSchema = strictObject({
  id,
  shiftId: id,
  direction: z.enum(['in', 'out']),
  amountMinor: positiveAmountSchema,
  reason: text(textLimits.reason).min(1),
  cashier: person,
  occurredAt: instant,
  /** The signed-in user who moved the cash (protocol 5; absent before, null in open mode). */
  cashierUserId: id.nullable().optional(),
  /** Its link in its terminal's hash chain (protocol 6, docs/journal.md); absent: recorded before the journal (pre-journal). */
  journal: journalLinkSchema.optional(),
});

export const shiftClosedSchema = strictObject({
  shiftId: id,
  closedAt: instant,
  closedBy: person,
  /** The signed-in user who closed it (protocol 5; absent before, null in open mode). */
  closedByUserId: id.nullable().optional(),
  counted: z
    .array(strictObject({ method: z.enum(paymentMethods), countedMinor: nonNegative }))
    .min(1)
    .max(paymentMethods.length),
  /** Its link in its terminal's hash chain (protocol 6, docs/journal.md); absent: recorded before the journal (pre-journal). */
  journal: journalLinkSchema.optional(),
  /** The Z report's seal (protocol 6, docs/journal.md#sealed-z): present with `journal`. */
  seal: shiftSealSchema.optional(),
});

/** What happened at a till's sign-in, for the tenant's audit log (docs/edge.md#cashier-sessions). */
export const cashierEvents = [
  'signed_in',
  'signed_out',
  'pin_failed',
  'locked',
  'approved',
  'drawer_opened',
] as const;
export type CashierEventKind = (typeof cashierEvents)[number];

/**
 * A cashier event (protocol 5): synced exactly once like a document, stored in the tenant's
 * audit_logs under its id. `code` is what was typed (a failure may name no known user).
 */
export const cashierEventSchema = strictObject({
  id,
  event: z.enum(cashierEvents),
  branch: codeSchema,
  terminal: codeSchema,
  occurredAt: instant,
  /** The cashier: who signed in or out, whose PIN failed, who asked for the approval or opened the drawer. */
  userId: id.nullable(),
  code: codeSchema.nullable(),
  sessionId: id.nullable(),
  /** The sale or refund an approval was for. */
  documentId: id.nullable(),
  approval: approvalSchema.nullable(),
  /** Why a session ended, which PIN failed (sign_in, approval), why the drawer was opened. */
  detail: text(textLimits.reason).nullable(),
});

/** The payload schema of each kind: the cloud quarantines a mutation whose payload fails its schema. */
export const payloadSchemas = {
  sale: saleDocumentSchema,
  refund: saleDocumentSchema,
  shift_open: shiftOpenedSchema,
  cash_movement: cashMovementDocumentSchema,
  shift_close: shiftClosedSchema,
  cashier_event: cashierEventSchema,
  stock_receipt: stockReceiptSchema,
  stock_adjustment: stockAdjustmentSchema,
  stock_count: stockCountSchema,
  stock_transfer: stockTransferSchema,
} as const satisfies Record<MutationKind, z.ZodType>;

export type PayloadOf<K extends MutationKind> = z.infer<(typeof payloadSchemas)[K]>;
export type SaleDocument = z.infer<typeof saleDocumentSchema>;
export type DocumentLine = z.infer<typeof documentLineSchema>;
export type ShiftOpened = z.infer<typeof shiftOpenedSchema>;
export type CashMovementDocument = z.infer<typeof cashMovementDocumentSchema>;
export type ShiftClosed = z.infer<typeof shiftClosedSchema>;
export type CashierEvent = z.infer<typeof cashierEventSchema>;

/**
 * One mutation on the wire. The frame checks only this envelope, so a payload that fails its kind's
 * schema is quarantined on its own instead of failing the whole batch.
 */
export const mutationSchema = strictObject({
  /** Per-device, gapless from 1, assigned in the transaction that recorded the mutation. */
  seq: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  /** The mutation's UUID (for a document, its id). */
  id,
  kind: text(32).min(1),
  payload: z.unknown(),
});
export type Mutation = z.infer<typeof mutationSchema>;
