// A refund is a new document referencing lines of the original sale. Each refunded line takes its
// share of the original line's amount, discount and tax by quantity, computed cumulatively (share
// after this refund − share before it), so refunds never exceed the sale and refunding everything,
// in any number of steps, gives back exactly what was paid.
import { divRoundHalfUp, type Minor, sum, toMinor } from './money.ts';
import { type Outcome, ok, refuse } from './outcome.ts';
import type { RefundInput } from './payloads.ts';
import { refuseOverflow, type SaleLine, type SalePayment, type SaleTotals, totalsOf } from './sale.ts';

/** A refunded line: the original line's snapshot (name, price, rate) with its share of the amounts. */
export type RefundLine = Omit<SaleLine, 'flags'> & { originalLineNo: number };

export interface BuiltRefund extends SaleTotals {
  lines: RefundLine[];
  payments: SalePayment[];
}

/** `part` of `whole` of `value`, rounded half-up. */
function share(value: Minor, part: number, whole: number): bigint {
  return divRoundHalfUp(BigInt(value) * BigInt(part), BigInt(whole));
}

/**
 * @param originalLines the lines of the sale being refunded
 * @param alreadyRefunded quantity (thousandths) already refunded per original line number, over all earlier refunds
 */
export function buildRefund(
  input: RefundInput,
  originalLines: readonly SaleLine[],
  alreadyRefunded: ReadonlyMap<number, number>,
): Outcome<BuiltRefund> {
  return refuseOverflow(() => buildRefundUnchecked(input, originalLines, alreadyRefunded));
}

function buildRefundUnchecked(
  input: RefundInput,
  originalLines: readonly SaleLine[],
  alreadyRefunded: ReadonlyMap<number, number>,
): Outcome<BuiltRefund> {
  const shared = refundLinesUnchecked(input.lines, originalLines, alreadyRefunded);
  if (!shared.ok) return shared;
  const lines = shared.value;
  const totals = totalsOf(lines);
  const paid = sum(input.payments.map((p) => p.amountMinor));
  if (paid !== totals.totalMinor) {
    return refuse(
      'refund_payment_mismatch',
      `refund payments of ${paid} differ from the refund total of ${totals.totalMinor}`,
      {
        paidMinor: paid,
        totalMinor: totals.totalMinor,
      },
    );
  }
  const payments = input.payments.map((p) => ({
    method: p.method,
    amountMinor: p.amountMinor,
    tenderedMinor: p.amountMinor,
    changeMinor: 0,
    reference: p.reference ?? null,
  }));
  return ok({ ...totals, lines, payments });
}

/**
 * The refunded lines alone: each request's share of its original line, after what earlier refunds
 * took back. The cloud uses it to recompute a pushed refund against the original it holds.
 */
export function refundLines(
  requests: readonly RefundLineRequest[],
  originalLines: readonly SaleLine[],
  alreadyRefunded: ReadonlyMap<number, number>,
): Outcome<RefundLine[]> {
  return refuseOverflow(() => refundLinesUnchecked(requests, originalLines, alreadyRefunded));
}

/** Which original line, and how much of it (thousandths). */
export interface RefundLineRequest {
  lineNo: number;
  qtyMilli: number;
}

function refundLinesUnchecked(
  requests: readonly RefundLineRequest[],
  originalLines: readonly SaleLine[],
  alreadyRefunded: ReadonlyMap<number, number>,
): Outcome<RefundLine[]> {
  const refunded = new Map(alreadyRefunded);
  const lines: RefundLine[] = [];
  for (const request of requests) {
    const original = originalLines.find((l) => l.lineNo === request.lineNo);
    if (!original)
      return refuse('unknown_line', `the sale has no line ${request.lineNo}`, { lineNo: request.lineNo });
    const before = refunded.get(original.lineNo) ?? 0;
    const after = before + request.qtyMilli;
    if (after > original.qtyMilli) {
      return refuse(
        'refund_exceeds_sold',
        `line ${original.lineNo}: refunding ${request.qtyMilli} would bring refunds to ${after} of ${original.qtyMilli} sold`,
        { lineNo: original.lineNo, soldQtyMilli: original.qtyMilli, refundedQtyMilli: before },
      );
    }
    refunded.set(original.lineNo, after);
    const portion = (value: Minor) =>
      toMinor(share(value, after, original.qtyMilli) - share(value, before, original.qtyMilli));
    // Net (after discount) and discount are shared separately and the amount is their sum, so no
    // step can come out negative and the steps add up to the original line exactly.
    const discountMinor = portion(original.discountMinor);
    const amountMinor = portion(original.amountMinor - original.discountMinor) + discountMinor;
    const taxMinor = portion(original.taxMinor);
    lines.push({
      lineNo: lines.length + 1,
      originalLineNo: original.lineNo,
      productId: original.productId,
      name: original.name,
      qtyMilli: request.qtyMilli,
      unitPriceMinor: original.unitPriceMinor,
      amountMinor,
      discountMinor,
      taxRateBp: original.taxRateBp,
      taxInclusive: original.taxInclusive,
      taxMinor,
      totalMinor: original.taxInclusive
        ? amountMinor - discountMinor
        : amountMinor - discountMinor + taxMinor,
    });
  }
  return ok(lines);
}
