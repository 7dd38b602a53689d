// The cashier API through app.request(): every route of SPEC §7, the documented error for each kind
// of bad input (with row counts proving nothing was written), and branch-server mode with several
// terminals posting to one edge. Every request carries the test cashier's session (cashier-sessions.test.ts
// tests sign-in itself).
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdgeApp } from '../../edge/http/app.ts';
import {
  cashierAt,
  createTestEdge,
  call as rawCall,
  rowCounts,
  seedCatalog,
  TEST_CASHIER,
  type TestEdge,
} from '../helpers/edge.ts';

let edge: TestEdge;
let app: Hono;
/** The session of the test cashier at T1 (signed in again once its shift has closed). */
let auth: Record<string, string> = {};
const call = (on: Hono, method: string, path: string, body?: unknown, headers = auth) =>
  rawCall(on, method, path, body, headers);

beforeAll(async () => {
  edge = await createTestEdge();
  seedCatalog(edge.store, {
    products: [
      { sku: 'COFFEE-250', name: 'Coffee 250g', priceMinor: 450, barcode: '4001', taxRateBp: 2000 },
      { sku: 'TEA-GREEN', name: 'Green tea', priceMinor: 300, taxRateBp: 2000 },
    ],
  });
  app = createEdgeApp({ store: edge.store, maxBodyBytes: 64 * 1024 });
  auth = await cashierAt(app, edge.store, 'T1');
});
afterAll(() => edge.destroy());

const specSale = {
  id: '0190f5c2-6b1e-7c3a-9a51-3f0b8a2d4e10',
  terminal: 'T1',
  cashier: 'alice@example.com',
  lines: [
    { sku: 'COFFEE-250', qtyMilli: 2000 },
    { name: 'Gift wrap', unitPriceMinor: 150, qtyMilli: 1000, taxRateBp: 2000 },
  ],
  payments: [{ method: 'cash', amountMinor: 2000 }],
};

describe('cashier API', () => {
  let shiftId: string;

  it('opens a shift', async () => {
    const res = await call(app, 'POST', '/v1/shifts', { terminal: 'T1', openingFloatMinor: 5000 });
    expect(res).toMatchObject({ status: 201, body: { terminal: 'T1', branch: 'B01', closedAt: null } });
    shiftId = res.body.id;
  });

  it('records the sale of SPEC §7 with 201 and answers the same id with 200 and the first answer', async () => {
    const first = await call(app, 'POST', '/v1/sales', specSale);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      id: specSale.id,
      receiptNo: 'B01-T1-000001',
      subtotalMinor: 1050,
      taxMinor: 210,
      totalMinor: 1260,
      changeMinor: 740,
      shiftId,
      // The signed-in cashier, whatever the body says.
      cashier: TEST_CASHIER.name,
      cashierUserId: expect.any(String),
      flags: ['open_price'],
    });
    expect(first.body.lines).toHaveLength(2);
    const before = rowCounts(edge.store);
    const again = await call(app, 'POST', '/v1/sales', specSale);
    expect(again).toEqual({ status: 200, body: first.body });
    expect(rowCounts(edge.store)).toEqual(before);
    expect(await call(app, 'GET', `/v1/sales/${specSale.id}`)).toEqual({ status: 200, body: first.body });
  });

  it('finds products by name, SKU or barcode with the price at this branch', async () => {
    const byName = await call(app, 'GET', '/v1/products?q=coffee');
    expect(byName.body.products).toEqual([
      expect.objectContaining({ sku: 'COFFEE-250', priceMinor: 450, taxRateBp: 2000, active: true }),
    ]);
    expect((await call(app, 'GET', '/v1/products?q=4001')).body.products[0].sku).toBe('COFFEE-250');
    expect((await call(app, 'GET', '/v1/products?q=TEA-GREEN')).body.products[0].name).toBe('Green tea');
    expect((await call(app, 'GET', '/v1/products?q=%25')).body.products).toEqual([]);
    expect((await call(app, 'GET', '/v1/products')).body.products).toHaveLength(2);
    expect((await call(app, 'GET', '/v1/products?limit=0')).status).toBe(400);
  });

  it('refunds part of the sale and lists sales newest first, page by page', async () => {
    const refund = await call(app, 'POST', `/v1/sales/${specSale.id}/refunds`, {
      terminal: 'T1',
      reason: 'changed mind',
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 540 }],
    });
    expect(refund).toMatchObject({ status: 201, body: { receiptNo: 'B01-T1-R000001', totalMinor: 540 } });
    const page1 = await call(app, 'GET', '/v1/sales?limit=1');
    expect(page1.body.sales.map((s: { receiptNo: string }) => s.receiptNo)).toEqual(['B01-T1-R000001']);
    const page2 = await call(app, 'GET', `/v1/sales?limit=1&before=${page1.body.next}`);
    expect(page2.body).toMatchObject({ sales: [{ receiptNo: 'B01-T1-000001' }], next: null });
    const refunds = await call(app, 'GET', '/v1/sales?kind=refund&terminal=T1');
    expect(refunds.body.sales).toHaveLength(1);
    expect((await call(app, 'GET', `/v1/sales?shiftId=${shiftId}`)).body.sales).toHaveLength(2);
  });

  it('moves cash, gives an X report, closes with the Z report and refuses a second close', async () => {
    expect(
      await call(app, 'POST', `/v1/shifts/${shiftId}/cash-movements`, {
        direction: 'out',
        amountMinor: 1000,
        reason: 'bank drop',
      }),
    ).toMatchObject({ status: 201, body: { direction: 'out', amountMinor: 1000 } });
    const x = await call(app, 'GET', `/v1/shifts/${shiftId}/x-report`);
    expect(x.body).toMatchObject({
      kind: 'x',
      tenders: [{ method: 'cash', expectedMinor: 5000 + 1260 - 540 - 1000 }],
    });
    const z = await call(app, 'POST', `/v1/shifts/${shiftId}/close`, {
      counted: [{ method: 'cash', countedMinor: 4720 }],
    });
    expect(z).toMatchObject({
      status: 200,
      body: {
        kind: 'z',
        tenders: [{ method: 'cash', expectedMinor: 4720, countedMinor: 4720, differenceMinor: 0 }],
      },
    });
    // The close ended the terminal's session: its token is refused, a new sign-in works.
    expect(
      await call(app, 'POST', `/v1/shifts/${shiftId}/close`, {
        counted: [{ method: 'cash', countedMinor: 1 }],
      }),
    ).toMatchObject({ status: 401, body: { error: { code: 'cashier_session_invalid' } } });
    auth = await cashierAt(app, edge.store, 'T1');
    const before = rowCounts(edge.store);
    const again = await call(app, 'POST', `/v1/shifts/${shiftId}/close`, {
      counted: [{ method: 'cash', countedMinor: 4720 }],
    });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'shift_closed' } } });
    expect(rowCounts(edge.store)).toEqual(before);
  });

  it('shows what waits for the cloud', async () => {
    const status = await call(app, 'GET', '/v1/sync/status');
    expect(status).toEqual({
      status: 200,
      body: {
        // 5 documents, two sign-ins, and the sign-out the shift's close caused.
        pending: 8,
        oldestPendingAgeSeconds: expect.any(Number),
        lastSyncAt: null,
        outboxEmptyAt: null,
        lastError: null,
        quarantined: 0,
        // Not syncing: this app was made without a sync loop.
        connected: false,
      },
    });
  });

  it('exposes its own Prometheus metrics: backlog, oldest unsynced, connection, request times', async () => {
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/modernpos_edge_outbox_pending\{branch="B01"\} 8/);
    expect(text).toMatch(/modernpos_edge_oldest_unsynced_seconds\{branch="B01"\} \d/);
    expect(text).toMatch(/modernpos_edge_sync_connected\{branch="B01"\} 0/);
    expect(text).toMatch(
      /modernpos_edge_http_request_duration_seconds_count\{branch="B01",method="POST",route="\/v1\/sales",status="201"\} [1-9]/,
    );
    expect(text).toContain('modernpos_edge_process_cpu_seconds_total');
  });

  it('serves several terminals of a branch, each with its own receipt series', async () => {
    const terminals = ['T2', 'T3', 'T4'];
    const sessions = await Promise.all(terminals.map((t) => cashierAt(app, edge.store, t)));
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        call(
          app,
          'POST',
          '/v1/sales',
          {
            terminal: terminals[i % 3],
            lines: [{ sku: 'TEA-GREEN', qtyMilli: 1000 }],
            payments: [{ method: 'card', amountMinor: 360 }],
          },
          sessions[i % 3],
        ),
      ),
    );
    expect(results.every((r) => r.status === 201)).toBe(true);
    for (const t of terminals) {
      const numbers = results
        .map((r) => r.body.receiptNo as string)
        .filter((n) => n.startsWith(`B01-${t}-`))
        .sort();
      expect(numbers).toEqual(
        Array.from({ length: 10 }, (_, i) => `B01-${t}-${String(i + 1).padStart(6, '0')}`),
      );
    }
  });
});

describe('bad input is refused with a clear code and writes nothing', () => {
  const sale = (over: Record<string, unknown>) => ({
    terminal: 'T1',
    lines: [{ sku: 'COFFEE-250', qtyMilli: 1000 }],
    payments: [{ method: 'cash', amountMinor: 540 }],
    ...over,
  });
  const refundOf = (id: string) => `/v1/sales/${id}/refunds`;
  const cases: [string, string, string, unknown, number, string][] = [
    ['malformed JSON', 'POST', '/v1/sales', '{"terminal":', 400, 'invalid_input'],
    ['a body that is not an object', 'POST', '/v1/sales', '[1,2]', 400, 'invalid_input'],
    ['an unknown field', 'POST', '/v1/sales', sale({ discount: 5 }), 400, 'invalid_input'],
    [
      'a control character in a name',
      'POST',
      '/v1/sales',
      sale({ lines: [{ name: 'Tea\u0000cup', unitPriceMinor: 1, qtyMilli: 1000, taxRateBp: 0 }] }),
      400,
      'invalid_input',
    ],
    ['no lines', 'POST', '/v1/sales', sale({ lines: [] }), 400, 'invalid_input'],
    ['a bad terminal code', 'POST', '/v1/sales', sale({ terminal: 't-1' }), 400, 'invalid_input'],
    [
      'an unknown product',
      'POST',
      '/v1/sales',
      sale({ lines: [{ sku: 'NOPE', qtyMilli: 1000 }] }),
      404,
      'unknown_product',
    ],
    [
      'zero quantity',
      'POST',
      '/v1/sales',
      sale({ lines: [{ sku: 'COFFEE-250', qtyMilli: 0 }] }),
      400,
      'invalid_input',
    ],
    [
      'negative quantity',
      'POST',
      '/v1/sales',
      sale({ lines: [{ sku: 'COFFEE-250', qtyMilli: -1000 }] }),
      400,
      'invalid_input',
    ],
    [
      'fractional quantity',
      'POST',
      '/v1/sales',
      sale({ lines: [{ sku: 'COFFEE-250', qtyMilli: 1.5 }] }),
      400,
      'invalid_input',
    ],
    [
      'a negative price',
      'POST',
      '/v1/sales',
      sale({ lines: [{ name: 'X', unitPriceMinor: -1, qtyMilli: 1000, taxRateBp: 0 }] }),
      400,
      'invalid_input',
    ],
    [
      'a money amount as a float',
      'POST',
      '/v1/sales',
      sale({ payments: [{ method: 'cash', amountMinor: 5.4 }] }),
      400,
      'invalid_input',
    ],
    [
      'payments short of the total',
      'POST',
      '/v1/sales',
      sale({ payments: [{ method: 'cash', amountMinor: 539 }] }),
      400,
      'payment_short',
    ],
    [
      'change from a card',
      'POST',
      '/v1/sales',
      sale({ payments: [{ method: 'card', amountMinor: 600 }] }),
      400,
      'change_not_cash',
    ],
    [
      'an unknown payment method',
      'POST',
      '/v1/sales',
      sale({ payments: [{ method: 'iou', amountMinor: 540 }] }),
      400,
      'invalid_input',
    ],
    ['the wrong currency', 'POST', '/v1/sales', sale({ currency: 'USD' }), 400, 'wrong_currency'],
    [
      'a discount over the line',
      'POST',
      '/v1/sales',
      sale({ lines: [{ sku: 'COFFEE-250', qtyMilli: 1000, discountMinor: 451 }] }),
      400,
      'invalid_line',
    ],
    [
      'a refund of an unknown sale',
      'POST',
      refundOf('nope'),
      { terminal: 'T1', lines: [{ lineNo: 1, qtyMilli: 1 }], payments: [] },
      404,
      'sale_not_found',
    ],
    ['an unknown sale', 'GET', '/v1/sales/nope', undefined, 404, 'sale_not_found'],
    ['an unknown shift', 'GET', '/v1/shifts/nope/x-report', undefined, 404, 'shift_not_found'],
    [
      'cash into an unknown shift',
      'POST',
      '/v1/shifts/nope/cash-movements',
      { direction: 'in', amountMinor: 1, reason: 'x' },
      404,
      'shift_not_found',
    ],
    [
      'cash without a reason',
      'POST',
      '/v1/shifts/nope/cash-movements',
      { direction: 'in', amountMinor: 1 },
      400,
      'invalid_input',
    ],
    [
      'a close without the cash count',
      'POST',
      '/v1/shifts/nope/close',
      { counted: [{ method: 'card', countedMinor: 0 }] },
      400,
      'invalid_input',
    ],
    [
      'a negative opening float',
      'POST',
      '/v1/shifts',
      { terminal: 'T1', openingFloatMinor: -5 },
      400,
      'invalid_input',
    ],
    ['a bad listing filter', 'GET', '/v1/sales?businessDate=yesterday', undefined, 400, 'invalid_input'],
    ['an unknown page anchor', 'GET', '/v1/sales?before=nope', undefined, 400, 'invalid_input'],
    ['an unknown query parameter', 'GET', '/v1/products?sku=X', undefined, 400, 'invalid_input'],
    ['an unknown route', 'GET', '/v1/nothing', undefined, 404, 'not_found'],
    [
      'a body over the limit',
      'POST',
      '/v1/sales',
      sale({ cashier: 'x'.repeat(70 * 1024) }),
      413,
      'too_large',
    ],
  ];

  it.each(cases)('%s', async (_, method, path, body, status, code) => {
    const before = rowCounts(edge.store);
    const res = await call(app, method, path, body);
    expect(res.status).toBe(status);
    expect(res.body.error).toMatchObject({ code, message: expect.any(String) });
    if (method === 'GET' && status === 400) expect(res.body.error.message).toMatch(/^query/);
    expect(rowCounts(edge.store)).toEqual(before);
  });

  it('refunding more than was sold is a conflict and writes nothing', async () => {
    const sold = await call(app, 'POST', '/v1/sales', sale({}));
    const before = rowCounts(edge.store);
    const res = await call(app, 'POST', refundOf(sold.body.id), {
      terminal: 'T1',
      lines: [{ lineNo: 1, qtyMilli: 1001 }],
      payments: [{ method: 'cash', amountMinor: 541 }],
    });
    expect(res).toMatchObject({ status: 409, body: { error: { code: 'refund_exceeds_sold' } } });
    expect(rowCounts(edge.store)).toEqual(before);
  });
});
