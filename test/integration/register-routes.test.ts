// The register page and the routes it needs, over HTTP: the page and every asset it loads come from
// the edge itself with a strict CSP; a cart quote prices exactly as the recorded sale does and writes
// nothing; bad input to the quote gets the documented error and writes nothing; receipts are found
// by number with what was refunded of each line; a refund quote gives the amounts the refund then
// records; the open shift of a terminal; what the branch sells in; and whether sync is connected.
import { gzipSync } from 'node:zlib';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeApp } from '../../edge/http/app.ts';
import { REGISTER_ASSET_NAMES } from '../../edge/http/page-routes.ts';
import {
  cashierAt,
  createTestEdge,
  call as rawCall,
  rowCounts,
  seedCatalog,
  type TestEdge,
} from '../helpers/edge.ts';

let edge: TestEdge;
let app: Hono;
let auth: Record<string, string> = {};
const call = (method: string, path: string, body?: unknown, headers = auth) =>
  rawCall(app, method, path, body, headers);

beforeAll(async () => {
  edge = await createTestEdge();
  seedCatalog(edge.store, {
    currency: 'EUR',
    products: [
      { sku: 'COFFEE-250', name: 'Coffee 250g', priceMinor: 449, barcode: '4001', taxRateBp: 700 },
      {
        sku: 'WINE',
        name: 'Red wine',
        priceMinor: 1299,
        barcode: '4002',
        taxRateBp: 1900,
        taxInclusive: true,
      },
      { sku: 'NOPRICE', name: 'Unpriced', priceMinor: null },
    ],
  });
  app = createEdgeApp({ store: edge.store, syncConnected: () => true });
  auth = await cashierAt(app, edge.store, 'T1');
});
afterAll(() => edge.destroy());

/** Every local URL a page or script refers to: `src`/`href` attributes and ES module imports. */
function references(text: string, base: string): string[] {
  const found = [
    ...[...text.matchAll(/\s(?:src|href)="([^"#]+)"/g)].map((m) => m[1]!),
    ...[...text.matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1]!),
  ];
  return found.map((ref) => new URL(ref, `http://edge${base}`).pathname);
}

const cart = {
  lines: [
    { barcode: '4001', qtyMilli: 3000 },
    { sku: 'WINE', qtyMilli: 1000 },
    { name: 'Gift wrap', unitPriceMinor: 150, qtyMilli: 1000, taxRateBp: 700 },
  ],
};

describe('the register page', () => {
  it('is served at / without a session, as static HTML with a strict CSP', async () => {
    const res = await app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/assets/register.js"></script>');
    expect(html).not.toMatch(/https?:\/\//);
    const signedIn = await (await app.request('/', { headers: auth })).text();
    expect(signedIn).toBe(html);
  });

  it('loads every asset it refers to from the edge itself, and nothing from elsewhere', async () => {
    const seen = new Set<string>();
    const queue = references(await (await app.request('/')).text(), '/');
    while (queue.length > 0) {
      const path = queue.shift()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const res = await app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type') ?? '', path).toMatch(
        path.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      );
      const text = await res.text();
      if (path.endsWith('.js')) queue.push(...references(text, path));
      expect(text, path).not.toMatch(/https?:\/\//);
    }
    expect([...seen].sort()).toEqual(REGISTER_ASSET_NAMES.map((n) => `/assets/${n}`).sort());
    // The register's JavaScript stays far inside its budget of 100 KB gzipped.
    let gzipped = 0;
    for (const path of [...seen].filter((p) => p.endsWith('.js')))
      gzipped += gzipSync(Buffer.from(await (await app.request(path)).arrayBuffer())).length;
    expect(gzipped).toBeLessThan(100 * 1024);
    expect((await app.request('/assets/../edge.db')).status).toBe(404);
    expect((await app.request('/assets/nothing.js')).status).toBe(404);
    expect((await call('GET', '/v1/nothing')).body.error.code).toBe('not_found');
  });
});

describe('POST /v1/carts/quote', () => {
  it('prices a cart exactly as the recorded sale, and writes nothing', async () => {
    const before = rowCounts(edge.store);
    const quote = await call('POST', '/v1/carts/quote', cart);
    expect(quote.status).toBe(200);
    expect(rowCounts(edge.store)).toEqual(before);
    expect(quote.body).toMatchObject({ currency: 'EUR', flags: ['open_price'] });
    expect(quote.body.lines.map((l: { name: string }) => l.name)).toEqual([
      'Coffee 250g',
      'Red wine',
      'Gift wrap',
    ]);
    const sale = await call('POST', '/v1/sales', {
      terminal: 'T1',
      ...cart,
      payments: [{ method: 'cash', amountMinor: 5000 }],
    });
    expect(sale.status).toBe(201);
    for (const k of ['subtotalMinor', 'discountMinor', 'taxMinor', 'totalMinor'] as const)
      expect(quote.body[k]).toBe(sale.body[k]);
    expect(quote.body.lines).toEqual(
      sale.body.lines.map(({ originalLineNo: _, ...l }: { originalLineNo: null }) => l),
    );
  });

  it('settles payments when given: the change, as the sale would give it', async () => {
    const quote = await call('POST', '/v1/carts/quote', {
      lines: [{ sku: 'COFFEE-250', qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 1000 }],
    });
    expect(quote).toMatchObject({ status: 200, body: { totalMinor: 480, changeMinor: 520 } });
  });

  it.each([
    ['an unknown barcode', { lines: [{ barcode: '999', qtyMilli: 1000 }] }, 404, 'unknown_product'],
    ['a product with no price', { lines: [{ sku: 'NOPRICE', qtyMilli: 1000 }] }, 409, 'no_price'],
    ['an empty cart', { lines: [] }, 400, 'invalid_input'],
    ['a zero quantity', { lines: [{ sku: 'WINE', qtyMilli: 0 }] }, 400, 'invalid_input'],
    ['a fractional quantity', { lines: [{ sku: 'WINE', qtyMilli: 1.5 }] }, 400, 'invalid_input'],
    [
      'a control character in a name',
      { lines: [{ name: 'Gift\u0007', unitPriceMinor: 1, qtyMilli: 1000, taxRateBp: 0 }] },
      400,
      'invalid_input',
    ],
    ['an unknown field', { lines: [{ sku: 'WINE', qtyMilli: 1000 }], terminal: 'T1' }, 400, 'invalid_input'],
    [
      'two product references',
      { lines: [{ sku: 'WINE', barcode: '4002', qtyMilli: 1 }] },
      400,
      'invalid_input',
    ],
    [
      'another currency',
      { currency: 'USD', lines: [{ sku: 'WINE', qtyMilli: 1000 }] },
      400,
      'wrong_currency',
    ],
    [
      'payments short of the total',
      { lines: [{ sku: 'WINE', qtyMilli: 1000 }], payments: [{ method: 'cash', amountMinor: 100 }] },
      400,
      'payment_short',
    ],
    [
      'an amount beyond the bounds',
      { lines: [{ name: 'X', unitPriceMinor: 2 ** 60, qtyMilli: 1000, taxRateBp: 0 }] },
      400,
      'invalid_input',
    ],
  ])('refuses %s with the documented error, writing nothing', async (_what, body, status, code) => {
    const before = rowCounts(edge.store);
    const res = await call('POST', '/v1/carts/quote', body);
    expect(res).toMatchObject({ status, body: { error: { code } } });
    expect(typeof res.body.error.message).toBe('string');
    expect(rowCounts(edge.store)).toEqual(before);
  });

  it('refuses malformed JSON', async () => {
    const res = await call('POST', '/v1/carts/quote', '{"lines": [');
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
  });
});

describe('receipts, refund quotes, shifts, branch and sync status', () => {
  let sale: { id: string; receiptNo: string; lines: { lineNo: number }[] };

  beforeAll(async () => {
    const res = await call('POST', '/v1/sales', {
      terminal: 'T1',
      lines: [
        { sku: 'COFFEE-250', qtyMilli: 3000 },
        { sku: 'WINE', qtyMilli: 1000 },
      ],
      payments: [{ method: 'cash', amountMinor: 5000 }],
    });
    expect(res.status).toBe(201);
    sale = res.body;
  });

  it('finds a receipt by its number, with what was refunded of each line', async () => {
    const found = await call('GET', `/v1/receipts/${sale.receiptNo}`);
    expect(found).toMatchObject({ status: 200, body: { sale: { id: sale.id }, refunded: [] } });
    const byId = await call('GET', `/v1/receipts/${sale.id}`);
    expect(byId.body.sale.receiptNo).toBe(sale.receiptNo);
    const missing = await call('GET', '/v1/receipts/B01-T9-000042');
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'sale_not_found' } } });
  });

  it('quotes a refund exactly as it is then recorded, writing nothing', async () => {
    const before = rowCounts(edge.store);
    const quote = await call('POST', `/v1/sales/${sale.id}/refunds/quote`, {
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
    });
    expect(quote).toMatchObject({ status: 200, body: { receiptNo: sale.receiptNo, totalMinor: 480 } });
    expect(rowCounts(edge.store)).toEqual(before);
    const refund = await call('POST', `/v1/sales/${sale.id}/refunds`, {
      terminal: 'T1',
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: quote.body.totalMinor }],
    });
    expect(refund.status).toBe(201);
    expect(refund.body.lines).toEqual(quote.body.lines.map((l: object) => ({ ...l, flags: [] })));
    const found = await call('GET', `/v1/receipts/${sale.receiptNo}`);
    expect(found.body.refunded).toEqual([{ lineNo: 1, qtyMilli: 1000 }]);
  });

  it.each([
    ['more than was sold', { lines: [{ lineNo: 1, qtyMilli: 3000 }] }, 409, 'refund_exceeds_sold'],
    ['a line the sale does not have', { lines: [{ lineNo: 9, qtyMilli: 1000 }] }, 400, 'unknown_line'],
    ['no lines', { lines: [] }, 400, 'invalid_input'],
  ])('refuses a refund quote of %s', async (_what, body, status, code) => {
    const before = rowCounts(edge.store);
    expect(await call('POST', `/v1/sales/${sale.id}/refunds/quote`, body)).toMatchObject({
      status,
      body: { error: { code } },
    });
    expect(rowCounts(edge.store)).toEqual(before);
  });

  it('refuses a refund quote of an unknown sale', async () => {
    const res = await call('POST', '/v1/sales/0190f5c2-0000-7000-8000-000000000000/refunds/quote', {
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
    });
    expect(res).toMatchObject({ status: 404, body: { error: { code: 'sale_not_found' } } });
  });

  it('answers the open shift of a terminal, or null', async () => {
    expect(await call('GET', '/v1/shifts/open?terminal=T1')).toEqual({ status: 200, body: { shift: null } });
    const opened = await call('POST', '/v1/shifts', { terminal: 'T1', openingFloatMinor: 10000 });
    expect(opened.status).toBe(201);
    const open = await call('GET', '/v1/shifts/open?terminal=T1');
    expect(open.body.shift).toMatchObject({ id: opened.body.id, terminal: 'T1', closedAt: null });
    expect((await call('GET', '/v1/shifts/open?terminal=bad code')).status).toBe(400);
    expect((await call('GET', '/v1/shifts/open')).status).toBe(400);
  });

  it('says what the branch sells in, and whether sync is connected', async () => {
    const branch = await call('GET', '/v1/branch');
    expect(branch).toMatchObject({
      status: 200,
      body: { branch: 'B01', currency: 'EUR', timeZone: 'Europe/Lisbon' },
    });
    expect(branch.body.taxRates.map((t: { rateBp: number }) => t.rateBp)).toEqual(
      expect.arrayContaining([700, 1900]),
    );
    const status = await call('GET', '/v1/sync/status');
    expect(status.body).toMatchObject({ connected: true, lastSyncAt: null });
  });
});
