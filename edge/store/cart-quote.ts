// Quotes for the register: a cart priced exactly as POST /v1/sales would price it (the same
// src/domain/sale.ts build against the same local catalog), and a refund's lines and total exactly
// as POST /v1/sales/:id/refunds would give them back. Nothing is written: no receipt number is drawn,
// no outbox entry, no currency remembered. The register shows these figures and computes none.

import type { CartQuoteInput, RefundQuoteInput } from '../../src/domain/payloads.ts';
import { type RefundLine, refundLines } from '../../src/domain/refund.ts';
import {
  type PricedCart,
  priceCart,
  type SalePayment,
  type SaleTotals,
  settle,
  totalsOf,
} from '../../src/domain/sale.ts';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';
import { refundedHere } from './register-reads.ts';
import type { EdgeStore } from './store.ts';

export interface CartQuote extends PricedCart {
  /** With payments: how they settle, as the sale would record them. */
  payments?: SalePayment[];
  changeMinor?: number;
}

export interface RefundQuote extends SaleTotals {
  saleId: string;
  receiptNo: string;
  currency: string;
  lines: RefundLine[];
}

export function quoteCart(store: EdgeStore, input: CartQuoteInput): EdgeOutcome<CartQuote> {
  const ctx = store.catalog.branchContext(store.branch);
  // As a sale would: the catalog's currency, else the edge's own, else the one the cart names.
  const currency = ctx.currency ?? input.currency;
  if (currency === undefined) {
    return refuseWith(
      'currency_unknown',
      "this edge has not learned the tenant's currency yet: sync once, start it with --currency, or name the cart's currency",
    );
  }
  const at = store.now().toISOString();
  const priced = priceCart(input, {
    currency,
    openLinesTaxInclusive: ctx.openLinesTaxInclusive,
    findProduct: (ref) => store.catalog.findProduct(ref, ctx.branchId, at),
  });
  if (!priced.ok) return priced;
  if (input.payments === undefined) return accept(priced.value);
  const settled = settle(priced.value.totalMinor, input.payments);
  if (!settled.ok) return settled;
  return accept({ ...priced.value, ...settled.value });
}

export function quoteRefund(
  store: EdgeStore,
  saleId: string,
  input: RefundQuoteInput,
): EdgeOutcome<RefundQuote> {
  // The original as a refund at this edge would take it: its own sale, or the copy of another till's
  // kept when the receipt was looked up (GET /v1/receipts/:receiptNo).
  const copy = store.copies.get(saleId);
  const original = store.documents.read(saleId) ?? copy?.sale;
  if (!original) {
    return refuseWith(
      'sale_not_found',
      `no sale ${saleId} on this edge: look the receipt up first (GET /v1/receipts/:receiptNo)`,
    );
  }
  if (original.kind !== 'sale') {
    return refuseWith('not_refundable', `${original.receiptNo} is a refund; refund its original sale`);
  }
  const already = new Map((copy?.refundedElsewhere ?? []).map((l) => [l.lineNo, l.qtyMilli]));
  for (const r of refundedHere(store, saleId))
    already.set(r.lineNo, (already.get(r.lineNo) ?? 0) + r.qtyMilli);
  const lines = refundLines(input.lines, original.lines, already);
  if (!lines.ok) return lines;
  return accept({
    saleId,
    receiptNo: original.receiptNo,
    currency: original.currency,
    ...totalsOf(lines.value),
    lines: lines.value,
  });
}
