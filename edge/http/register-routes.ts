// The routes the register page needs besides the cashier API (docs/register.md): a cart priced as
// the sale would be (POST /v1/carts/quote) and a refund's figures (POST /v1/sales/:id/refunds/quote),
// both recording nothing; a receipt looked up by its number (any till's); the terminal's open shift; and what the
// branch sells in. Reads, like the cashier API's: no cashier session needed, nothing written (except
// the copy of another till's sale a look-up keeps, as GET /v1/sales/:id does).
import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { cartQuoteSchema, codeSchema, refundQuoteSchema, strictObject } from '../../src/domain/payloads.ts';
import { errorBody, parseJsonBody, parseQuery } from '../../src/http/errors.ts';
import { type EdgeOutcome, edgeErrorStatus } from '../errors.ts';
import { quoteCart, quoteRefund } from '../store/cart-quote.ts';
import { branchInfo, openShiftOf, refundedHere, saleIdOfReceipt } from '../store/register-reads.ts';
import type { EdgeStore } from '../store/store.ts';
import type { FetchOriginal } from '../sync/fetch-original.ts';
import { readSale, readSaleByReceipt } from './original-lookup.ts';

export interface RegisterRouteDeps {
  store: EdgeStore;
  fetchOriginal?: FetchOriginal;
  syncConnected?: () => boolean;
}

export const openShiftQuery = strictObject({ terminal: codeSchema });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function answer<T>(c: Context, outcome: EdgeOutcome<T>): Response {
  if (outcome.ok) return c.json(outcome.value as object, 200);
  const { code, message, details } = outcome.error;
  return c.json(errorBody(code, message, details), edgeErrorStatus(code) as ContentfulStatusCode);
}

export function mountRegisterRoutes(app: Hono, deps: RegisterRouteDeps): void {
  const { store } = deps;

  app.post('/v1/carts/quote', async (c) =>
    answer(c, quoteCart(store, await parseJsonBody(c, cartQuoteSchema))),
  );

  app.post('/v1/sales/:id/refunds/quote', async (c) =>
    answer(c, quoteRefund(store, c.req.param('id'), await parseJsonBody(c, refundQuoteSchema))),
  );

  // A receipt number (any till's, any branch's: another till's receipt comes from the cloud, by
  // number), or a sale id.
  app.get('/v1/receipts/:receiptNo', async (c) => {
    const key = c.req.param('receiptNo').trim();
    const own = saleIdOfReceipt(store, key);
    const sale =
      own === undefined && UUID.test(key)
        ? await readSale(store, key.toLowerCase(), deps)
        : await readSaleByReceipt(store, key, own, deps);
    if (!sale.ok) return answer(c, sale);
    const id = sale.value.id;
    const copy = store.copies.get(id);
    const refunded = new Map((copy?.refundedElsewhere ?? []).map((l) => [l.lineNo, l.qtyMilli]));
    for (const r of refundedHere(store, id))
      refunded.set(r.lineNo, (refunded.get(r.lineNo) ?? 0) + r.qtyMilli);
    return c.json({
      sale: sale.value,
      refunded: [...refunded].map(([lineNo, qtyMilli]) => ({ lineNo, qtyMilli })),
    });
  });

  app.get('/v1/shifts/open', (c) => {
    const { terminal } = parseQuery(c, openShiftQuery);
    return c.json({ shift: openShiftOf(store, terminal) });
  });

  app.get('/v1/branch', (c) => c.json(branchInfo(store)));
}
