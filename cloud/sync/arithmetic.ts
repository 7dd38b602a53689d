// The cloud recomputes every amount it stores with the same src/domain functions the edge used: line
// amounts, discounts and tax, document totals, the settlement of payments and change, the stock each
// line moves, and (given the original) a refund's shares. A document whose figures differ is
// quarantined `arithmetic_mismatch`, with the figure it carried beside the one the cloud computed.
import { extend, MoneyError, sum } from '../../src/domain/money.ts';
import { refundLines } from '../../src/domain/refund.ts';
import { type SaleLine, settle, totalsOf } from '../../src/domain/sale.ts';
import { lineTax } from '../../src/domain/tax.ts';
import type { DocumentLine, SaleDocument } from '../../src/protocol/mutations.ts';
import type { Rejection } from './validate.ts';

const mismatch = (reason: string): Rejection => ({ code: 'arithmetic_mismatch', reason });

/** The first field of `fields` where `got` differs from `want`, said with both figures. */
function differs<T extends object>(what: string, got: T, want: T, fields: readonly (keyof T)[]) {
  const field = fields.find((f) => got[f] !== want[f]);
  return field === undefined
    ? undefined
    : mismatch(
        `${what}: ${String(field)} is ${String(got[field])}; the cloud computes ${String(want[field])}`,
      );
}

const lineFigures = ['amountMinor', 'discountMinor', 'taxMinor', 'totalMinor'] as const;

/** A sale line priced again from its quantity, unit price, discount and tax rate. */
function checkSaleLine(line: DocumentLine): Rejection | undefined {
  const amountMinor = extend(line.qtyMilli, line.unitPriceMinor);
  if (line.discountMinor > amountMinor) {
    return mismatch(`line ${line.lineNo}: discount ${line.discountMinor} exceeds the amount ${amountMinor}`);
  }
  const tax = lineTax(amountMinor - line.discountMinor, line.taxRateBp, line.taxInclusive);
  const want = { ...line, amountMinor, taxMinor: tax.taxMinor, totalMinor: tax.totalMinor };
  return differs(`line ${line.lineNo}`, line, want, lineFigures);
}

/** Document totals are the sums of the lines. */
function checkTotals(doc: SaleDocument): Rejection | undefined {
  const totals = totalsOf(doc.lines);
  return differs('document', doc, { ...doc, ...totals }, [
    'subtotalMinor',
    'discountMinor',
    'taxMinor',
    'totalMinor',
  ]);
}

/** A sale's payments are what `settle` makes of the amounts tendered: change only from cash. */
function checkSalePayments(doc: SaleDocument): Rejection | undefined {
  const tendered = doc.payments.map((p) => ({
    method: p.method,
    amountMinor: p.tenderedMinor,
    ...(p.reference === null ? {} : { reference: p.reference }),
  }));
  const settled = settle(doc.totalMinor, tendered);
  if (!settled.ok) return mismatch(`payments: ${settled.error.message}`);
  if (settled.value.changeMinor !== doc.changeMinor) {
    return mismatch(`changeMinor is ${doc.changeMinor}; the cloud computes ${settled.value.changeMinor}`);
  }
  for (const [i, want] of settled.value.payments.entries()) {
    const found = differs(`payment ${i + 1}`, doc.payments[i]!, want, [
      'amountMinor',
      'tenderedMinor',
      'changeMinor',
    ]);
    if (found) return found;
  }
  return undefined;
}

/** A refund pays back exactly its total, with no change. */
function checkRefundPayments(doc: SaleDocument): Rejection | undefined {
  const paid = sum(doc.payments.map((p) => p.amountMinor));
  if (paid !== doc.totalMinor) {
    return mismatch(`refund payments come to ${paid}; the refund's total is ${doc.totalMinor}`);
  }
  const withChange = doc.payments.findIndex((p) => p.changeMinor !== 0 || p.tenderedMinor !== p.amountMinor);
  if (withChange !== -1)
    return mismatch(`refund payment ${withChange + 1} gives change; a refund gives none`);
  if (doc.changeMinor !== 0) return mismatch(`a refund's changeMinor is ${doc.changeMinor}; it gives none`);
  return undefined;
}

/** One ledger entry per catalog line, in line order: out for a sale, back in for a refund. */
function checkStockMovements(doc: SaleDocument): Rejection | undefined {
  const sign = doc.kind === 'sale' ? -1 : 1;
  const want = doc.lines.filter((l) => l.productId !== null);
  if (want.length !== doc.stockMovements.length) {
    return mismatch(
      `${doc.stockMovements.length} stock movements for ${want.length} catalog lines; the cloud expects one each`,
    );
  }
  for (const [i, line] of want.entries()) {
    const m = doc.stockMovements[i]!;
    if (m.productId !== line.productId || m.deltaQtyMilli !== sign * line.qtyMilli) {
      return mismatch(
        `stock movement ${i + 1} moves ${m.deltaQtyMilli} of ${m.productId}; line ${line.lineNo} moves ${sign * line.qtyMilli} of ${line.productId}`,
      );
    }
  }
  return undefined;
}

/** Refuses amounts the money helpers cannot hold instead of throwing. */
function guarded(check: () => Rejection | undefined): Rejection | undefined {
  try {
    return check();
  } catch (err) {
    if (err instanceof MoneyError) return mismatch(err.message);
    throw err;
  }
}

/** Checks a sale's own arithmetic (a refund's lines are checked against its original: see checkRefundShares). */
export function checkSaleArithmetic(doc: SaleDocument): Rejection | undefined {
  return guarded(() => {
    for (const line of doc.lines) {
      if (line.originalLineNo !== null)
        return mismatch(`line ${line.lineNo}: a sale line names no original line`);
      const found = checkSaleLine(line);
      if (found) return found;
    }
    return checkTotals(doc) ?? checkSalePayments(doc) ?? checkStockMovements(doc);
  });
}

/**
 * Checks a refund against its original sale's lines and what earlier refunds already took back: each
 * line must be the original line's snapshot with its cumulative share (src/domain/refund.ts), within
 * what was sold; totals, payments and stock as for any document.
 */
export function checkRefundShares(
  doc: SaleDocument,
  originalLines: readonly SaleLine[],
  alreadyRefunded: ReadonlyMap<number, number>,
): Rejection | undefined {
  return guarded(() => {
    const requests = doc.lines.map((l) => ({ lineNo: l.originalLineNo ?? 0, qtyMilli: l.qtyMilli }));
    const shared = refundLines(requests, originalLines, alreadyRefunded);
    if (!shared.ok) {
      const codes = {
        refund_exceeds_sold: 'refund_exceeds_sold',
        unknown_line: 'unknown_original_line',
      } as const;
      const code = codes[shared.error.code as keyof typeof codes] ?? 'arithmetic_mismatch';
      return { code, reason: shared.error.message };
    }
    for (const [i, want] of shared.value.entries()) {
      const got = doc.lines[i]!;
      const found = differs(`line ${got.lineNo}`, got, { ...got, ...want, lineNo: got.lineNo }, [
        'productId',
        'name',
        'unitPriceMinor',
        'taxRateBp',
        'taxInclusive',
        ...lineFigures,
      ]);
      if (found) return found;
    }
    return checkTotals(doc) ?? checkRefundPayments(doc) ?? checkStockMovements(doc);
  });
}
