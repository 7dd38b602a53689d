// The money bounds at the cashier API (src/domain/bounds.ts): a float or cash movement over the
// bound is refused up front with nothing written, a shift can always be reported and closed, and a
// shift that has recorded the most one shift may refuses more (409) until it is closed. What the
// edge accepts, the cloud's payload schemas accept too. Requests carry the test cashier's session; the
// sign-in, approval and no-sale routes join the matrix at the end.
import type { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEdgeApp } from '../../edge/http/app.ts';
import { MAX_AMOUNT_MINOR, MAX_SHIFT_TURNOVER_MINOR } from '../../src/domain/bounds.ts';
import { type MutationKind, payloadSchemas } from '../../src/protocol/mutations.ts';
import {
  cashierAt,
  createTestEdge,
  outboxMutations,
  call as rawCall,
  rowCounts,
  seedCatalog,
  seedTillUser,
  type TestEdge,
} from '../helpers/edge.ts';

let edge: TestEdge;
let app: Hono;
/** The test cashier's session at T1 (signed in again after a shift's close ends it). */
let auth: Record<string, string> = {};
const call = (on: Hono, method: string, path: string, body?: unknown, headers = auth) =>
  rawCall(on, method, path, body, headers);

beforeEach(async () => {
  edge = await createTestEdge();
  seedCatalog(edge.store, { products: [{ sku: 'MUG', name: 'Mug', priceMinor: 1000, taxRateBp: 0 }] });
  app = createEdgeApp({ store: edge.store });
  auth = await cashierAt(app, edge.store, 'T1');
});
afterEach(() => edge.destroy());

const openShift = async (openingFloatMinor: number) => {
  const res = await call(app, 'POST', '/v1/shifts', { terminal: 'T1', openingFloatMinor });
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const cashIn = (shiftId: string, amountMinor: number) =>
  call(app, 'POST', `/v1/shifts/${shiftId}/cash-movements`, {
    direction: 'in',
    amountMinor,
    reason: 'top-up',
  });

/** Every mutation the edge queued passes the schema the cloud parses it with. */
function expectOutboxWithinCloudSchemas() {
  for (const m of outboxMutations(edge.store)) {
    const parsed = payloadSchemas[m.kind as MutationKind].safeParse(m.payload);
    expect(parsed.success, `${m.kind} ${m.seq}: ${parsed.error?.message}`).toBe(true);
  }
}

describe('finding 8 at the edge: a float of 2^53 − 1, then a cash-in of 1', () => {
  it('refuses the float with 400 naming the field and writes nothing', async () => {
    const before = rowCounts(edge.store);
    const res = await call(app, 'POST', '/v1/shifts', { terminal: 'T1', openingFloatMinor: 2 ** 53 - 1 });
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
    expect(res.body.error.message).toContain('openingFloatMinor');
    expect(rowCounts(edge.store)).toEqual(before);
  });

  it('at the largest float, a cash-in, the X report and the close still work; then a new shift opens', async () => {
    const shiftId = await openShift(MAX_AMOUNT_MINOR);
    expect((await cashIn(shiftId, 1)).status).toBe(201);
    expect((await cashIn(shiftId, MAX_AMOUNT_MINOR)).status).toBe(201);
    const x = await call(app, 'GET', `/v1/shifts/${shiftId}/x-report`);
    expect(x).toMatchObject({
      status: 200,
      body: { kind: 'x', tenders: [{ method: 'cash', expectedMinor: 2 * MAX_AMOUNT_MINOR + 1 }] },
    });
    const z = await call(app, 'POST', `/v1/shifts/${shiftId}/close`, {
      counted: [{ method: 'cash', countedMinor: MAX_AMOUNT_MINOR }],
    });
    expect(z).toMatchObject({
      status: 200,
      body: {
        kind: 'z',
        tenders: [
          {
            method: 'cash',
            expectedMinor: 2 * MAX_AMOUNT_MINOR + 1,
            countedMinor: MAX_AMOUNT_MINOR,
            differenceMinor: -MAX_AMOUNT_MINOR - 1,
          },
        ],
      },
    });
    auth = await cashierAt(app, edge.store, 'T1');
    expect((await call(app, 'POST', '/v1/shifts', { terminal: 'T1', openingFloatMinor: 0 })).status).toBe(
      201,
    );
    expectOutboxWithinCloudSchemas();
  });

  it('refuses a cash movement or a count over the bound with 400 and writes nothing', async () => {
    const shiftId = await openShift(0);
    const before = rowCounts(edge.store);
    const over = await cashIn(shiftId, MAX_AMOUNT_MINOR + 1);
    expect(over).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
    expect(over.body.error.message).toContain('amountMinor');
    const close = await call(app, 'POST', `/v1/shifts/${shiftId}/close`, {
      counted: [{ method: 'cash', countedMinor: MAX_AMOUNT_MINOR + 1 }],
    });
    expect(close).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
    expect(rowCounts(edge.store)).toEqual(before);
  });
});

describe("a shift's turnover is bounded", () => {
  it('takes writes up to the bound, then refuses more with 409 and nothing written, and still closes', async () => {
    const shiftId = await openShift(MAX_AMOUNT_MINOR);
    const fills = MAX_SHIFT_TURNOVER_MINOR / MAX_AMOUNT_MINOR - 1;
    for (let i = 0; i < fills; i++) expect((await cashIn(shiftId, MAX_AMOUNT_MINOR)).status).toBe(201);
    const before = rowCounts(edge.store);
    const more = await cashIn(shiftId, 1);
    expect(more).toMatchObject({
      status: 409,
      body: {
        error: {
          code: 'shift_turnover_exceeded',
          details: {
            shiftId,
            turnoverMinor: MAX_SHIFT_TURNOVER_MINOR,
            maxTurnoverMinor: MAX_SHIFT_TURNOVER_MINOR,
          },
        },
      },
    });
    // A sale on the terminal belongs to the full shift: refused too, without drawing a receipt number.
    const sale = await call(app, 'POST', '/v1/sales', {
      terminal: 'T1',
      lines: [{ sku: 'MUG', qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 1000 }],
    });
    expect(sale).toMatchObject({ status: 409, body: { error: { code: 'shift_turnover_exceeded' } } });
    expect(rowCounts(edge.store)).toEqual(before);
    const x = await call(app, 'GET', `/v1/shifts/${shiftId}/x-report`);
    expect(x).toMatchObject({
      status: 200,
      body: {
        cashInMinor: MAX_SHIFT_TURNOVER_MINOR - MAX_AMOUNT_MINOR,
        tenders: [{ method: 'cash', expectedMinor: MAX_SHIFT_TURNOVER_MINOR }],
      },
    });
    const z = await call(app, 'POST', `/v1/shifts/${shiftId}/close`, {
      counted: [{ method: 'cash', countedMinor: 0 }],
    });
    expect(z).toMatchObject({
      status: 200,
      body: {
        tenders: [{ expectedMinor: MAX_SHIFT_TURNOVER_MINOR, differenceMinor: -MAX_SHIFT_TURNOVER_MINOR }],
      },
    });
    auth = await cashierAt(app, edge.store, 'T1');
    await openShift(0);
    const next = await call(app, 'POST', '/v1/sales', {
      terminal: 'T1',
      lines: [{ sku: 'MUG', qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 1000 }],
    });
    expect(next).toMatchObject({ status: 201, body: { receiptNo: 'B01-T1-000001' } });
    expectOutboxWithinCloudSchemas();
  });

  it('refuses a document whose line or total is over the bound with amount_too_large, numbering nothing', async () => {
    await openShift(0);
    const before = rowCounts(edge.store);
    const line = await call(app, 'POST', '/v1/sales', {
      terminal: 'T1',
      lines: [{ name: 'Yacht', unitPriceMinor: MAX_AMOUNT_MINOR, qtyMilli: 2000, taxRateBp: 0 }],
      payments: [
        { method: 'cash', amountMinor: MAX_AMOUNT_MINOR },
        { method: 'card', amountMinor: MAX_AMOUNT_MINOR },
      ],
    });
    expect(line).toMatchObject({
      status: 400,
      body: {
        error: { code: 'amount_too_large', details: { field: 'subtotalMinor', maxMinor: MAX_AMOUNT_MINOR } },
      },
    });
    const change = await call(app, 'POST', '/v1/sales', {
      terminal: 'T1',
      lines: [{ sku: 'MUG', qtyMilli: 1000 }],
      payments: [
        { method: 'cash', amountMinor: MAX_AMOUNT_MINOR },
        { method: 'cash', amountMinor: MAX_AMOUNT_MINOR },
      ],
    });
    expect(change).toMatchObject({ status: 400, body: { error: { code: 'amount_too_large' } } });
    expect(rowCounts(edge.store)).toEqual(before);
  });
});

describe("the till's clock", () => {
  it('reading 1970 or 2101 refuses sales, shifts and cash with 503 clock_out_of_range and writes nothing', async () => {
    let clock = new Date('2026-03-02T10:00:00Z');
    const local = await createTestEdge({ now: () => clock });
    try {
      seedCatalog(local.store, { products: [{ sku: 'MUG', name: 'Mug', priceMinor: 1000, taxRateBp: 0 }] });
      const till = createEdgeApp({ store: local.store });
      auth = await cashierAt(till, local.store, 'T1');
      const t2 = await cashierAt(till, local.store, 'T2');
      const shift = await call(till, 'POST', '/v1/shifts', { terminal: 'T1', openingFloatMinor: 0 });
      expect(shift.status).toBe(201);
      for (const wrong of ['1970-01-01T00:00:00Z', '2101-01-01T00:00:00Z']) {
        clock = new Date(wrong);
        const before = rowCounts(local.store);
        const answers = [
          await call(till, 'POST', '/v1/sales', {
            terminal: 'T1',
            lines: [{ sku: 'MUG', qtyMilli: 1000 }],
            payments: [{ method: 'cash', amountMinor: 1000 }],
          }),
          await call(till, 'POST', '/v1/shifts', { terminal: 'T2', openingFloatMinor: 0 }, t2),
          await call(till, 'POST', '/v1/cashier-sessions', { terminal: 'T3', code: '7001', pin: '246810' }),
          await call(till, 'POST', '/v1/drawer/no-sale', { terminal: 'T1' }),
          await call(till, 'POST', `/v1/shifts/${shift.body.id}/cash-movements`, {
            direction: 'in',
            amountMinor: 1,
            reason: 'x',
          }),
          await call(till, 'POST', `/v1/shifts/${shift.body.id}/close`, {
            counted: [{ method: 'cash', countedMinor: 0 }],
          }),
        ];
        for (const a of answers) {
          expect(a).toMatchObject({ status: 503, body: { error: { code: 'clock_out_of_range' } } });
        }
        expect(rowCounts(local.store)).toEqual(before);
      }
      clock = new Date('2026-03-02T11:00:00Z');
      const sale = await call(till, 'POST', '/v1/sales', {
        terminal: 'T1',
        lines: [{ sku: 'MUG', qtyMilli: 1000 }],
        payments: [{ method: 'cash', amountMinor: 1000 }],
      });
      expect(sale).toMatchObject({ status: 201, body: { receiptNo: 'B01-T1-000001' } });
    } finally {
      local.destroy();
    }
  });
});

describe('sign-in, approvals and the no-sale drawer refuse bad input with 400 and write nothing', () => {
  const signIn = (over: Record<string, unknown>) => ({
    terminal: 'T1',
    code: '7001',
    pin: '246810',
    ...over,
  });
  const sale = (approval: unknown) => ({
    terminal: 'T1',
    lines: [{ sku: 'MUG', qtyMilli: 1000, unitPriceMinor: 1 }],
    payments: [{ method: 'cash', amountMinor: 1 }],
    approval,
  });
  const cases: [string, string, unknown][] = [
    ['sign-in without a PIN', '/v1/cashier-sessions', { terminal: 'T1', code: '7001' }],
    ['sign-in with letters in the PIN', '/v1/cashier-sessions', signIn({ pin: '12ab' })],
    ['sign-in with a PIN too long', '/v1/cashier-sessions', signIn({ pin: '1'.repeat(9) })],
    ['sign-in with a PIN as a number', '/v1/cashier-sessions', signIn({ pin: 246810 })],
    ['sign-in with a lower-case code', '/v1/cashier-sessions', signIn({ code: 'abc' })],
    ['sign-in with a code too long', '/v1/cashier-sessions', signIn({ code: '1'.repeat(17) })],
    ['sign-in with a control character', '/v1/cashier-sessions', signIn({ code: '70\u000001' })],
    ['sign-in with a bad terminal', '/v1/cashier-sessions', signIn({ terminal: 't 1' })],
    ['sign-in with an unknown field', '/v1/cashier-sessions', signIn({ role: 'manager' })],
    ['sign-in that is not JSON', '/v1/cashier-sessions', '{"terminal":'],
    ['an approval without a PIN', '/v1/sales', sale({ code: '9001' })],
    ['an approval with an unknown field', '/v1/sales', sale({ code: '9001', pin: '1234', as: 'x' })],
    ['an approval that is not an object', '/v1/sales', sale('9001:1234')],
    ['a no-sale with a reason too long', '/v1/drawer/no-sale', { terminal: 'T1', reason: 'x'.repeat(501) }],
    ['a no-sale with a control character', '/v1/drawer/no-sale', { terminal: 'T1', reason: 'a\u0007b' }],
    ['a no-sale with a bad id', '/v1/drawer/no-sale', { id: 'nope', terminal: 'T1' }],
    ['a no-sale without a terminal', '/v1/drawer/no-sale', { reason: 'change' }],
  ];

  it.each(cases)('%s', async (_, path, body) => {
    await seedTillUser(edge.store, { code: '9001', pin: '1234', role: 'manager' });
    const before = rowCounts(edge.store);
    const res = await call(app, 'POST', path, body);
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
    expect(rowCounts(edge.store)).toEqual(before);
  });
});

describe("a refund of another till's sale", () => {
  const otherSale = (id: string) => ({
    id,
    kind: 'sale' as const,
    receiptNo: 'MAIN-T9-000001',
    originalSaleId: null,
    branch: 'MAIN',
    terminal: 'T9',
    shiftId: null,
    cashier: null,
    cashierUserId: null,
    customerId: null,
    currency: 'EUR',
    subtotalMinor: 1000,
    discountMinor: 0,
    taxMinor: 0,
    totalMinor: 1000,
    changeMinor: 0,
    occurredAt: '2026-03-02T10:00:00.000Z',
    businessDate: '2026-03-02',
    reason: null,
    flags: [],
    lines: [
      {
        lineNo: 1,
        productId: null,
        name: 'Mug',
        qtyMilli: 1000,
        unitPriceMinor: 1000,
        amountMinor: 1000,
        discountMinor: 0,
        taxRateBp: 0,
        taxInclusive: false,
        taxMinor: 0,
        totalMinor: 1000,
        flags: [],
        originalLineNo: null,
      },
    ],
    payments: [],
  });
  const copies = () =>
    (edge.store.database.sqlite.prepare('SELECT count(*) AS n FROM original_copies').get() as { n: number })
      .n;

  it('refuses bad input before asking the cloud, and a refusal after asking writes nothing, not even the copy', async () => {
    const asked: string[] = [];
    // Open mode: this is about the refund's input and the copy, not the cashier session.
    const till = createEdgeApp({
      store: edge.store,
      openCashierApi: true,
      fetchOriginal: async (id) => {
        asked.push(id);
        return {
          status: 'found',
          answer: { sale: otherSale(id), refundedElsewhere: [] },
          fetchedAt: new Date().toISOString(),
        };
      },
    });
    const body = {
      terminal: 'T1',
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 1000 }],
    };
    const before = rowCounts(edge.store);
    const id = crypto.randomUUID();
    expect((await call(till, 'POST', `/v1/sales/${id}/refunds`, { ...body, lines: [] })).status).toBe(400);
    expect((await call(till, 'POST', `/v1/sales/${id}/refunds`, '{"terminal":')).status).toBe(400);
    expect(await call(till, 'POST', `/v1/sales/a%01b/refunds`, body)).toMatchObject({
      status: 404,
      body: { error: { code: 'sale_not_found' } },
    });
    expect(await call(till, 'POST', `/v1/sales/${'x'.repeat(65)}/refunds`, body)).toMatchObject({
      status: 404,
    });
    expect(asked).toEqual([]);
    // Asked, but refused: more than was sold, payments that do not match, an unknown line.
    const refusals: [unknown, number, string][] = [
      [{ ...body, lines: [{ lineNo: 1, qtyMilli: 2000 }] }, 409, 'refund_exceeds_sold'],
      [{ ...body, payments: [{ method: 'cash', amountMinor: 999 }] }, 400, 'refund_payment_mismatch'],
      [{ ...body, lines: [{ lineNo: 2, qtyMilli: 1000 }] }, 400, 'unknown_line'],
    ];
    for (const [payload, status, code] of refusals) {
      expect(await call(till, 'POST', `/v1/sales/${id}/refunds`, payload)).toMatchObject({
        status,
        body: { error: { code } },
      });
    }
    expect(asked).toEqual([id, id, id]);
    expect(rowCounts(edge.store)).toEqual(before);
    expect(copies()).toBe(0);
    // The answer it accepts is within the cloud's schemas, and the copy is in no list.
    expect((await call(till, 'POST', `/v1/sales/${id}/refunds`, body)).status).toBe(201);
    expect(copies()).toBe(1);
    expectOutboxWithinCloudSchemas();
    expect((await call(till, 'GET', '/v1/sales')).body.sales.map((s: { kind: string }) => s.kind)).toEqual([
      'refund',
    ]);
  });
});

describe('the stock routes', () => {
  const productId = () => edge.store.searchProducts('MUG', 1)[0]!.id;
  const control = { NUL: 'a\u0000b', BEL: 'a\u0007b', C1: 'a\u0085b', 'half a surrogate': 'a\ud800b' };
  const bodies = (p: string) => ({
    '/v1/stock/receipts': {
      valid: { note: 'Delivery', lines: [{ productId: p, qtyMilli: 1000, unitCostMinor: 120 }] },
      bad: {
        note: { empty: '', blank: '  ', 'too long': 'x'.repeat(501), ...control },
        lines: {
          empty: [],
          'over 500': Array.from({ length: 501 }, (_, i) => ({
            productId: `p${i}`,
            qtyMilli: 1,
            unitCostMinor: 1,
          })),
          'no quantity': [{ productId: p, qtyMilli: 0, unitCostMinor: 1 }],
          'a negative cost': [{ productId: p, qtyMilli: 1, unitCostMinor: -1 }],
          'a cost over the bound': [{ productId: p, qtyMilli: 1, unitCostMinor: MAX_AMOUNT_MINOR + 1 }],
          'a line worth over 10^12': [{ productId: p, qtyMilli: 1_000_000_000, unitCostMinor: 1_000_001 }],
          'a product twice': [
            { productId: p, qtyMilli: 1, unitCostMinor: 1 },
            { productId: p, qtyMilli: 2, unitCostMinor: 1 },
          ],
          'a product id with NUL': [{ productId: 'p\u0000', qtyMilli: 1, unitCostMinor: 1 }],
        },
      },
    },
    '/v1/stock/adjustments': {
      valid: { reason: 'Broken', lines: [{ productId: p, deltaQtyMilli: -1000 }] },
      bad: {
        reason: { empty: '', blank: ' ', 'too long': 'x'.repeat(501), ...control },
        lines: {
          'a zero delta': [{ productId: p, deltaQtyMilli: 0 }],
          'a delta over the bound': [{ productId: p, deltaQtyMilli: 1_000_000_001 }],
          'a fractional delta': [{ productId: p, deltaQtyMilli: 1.5 }],
        },
      },
    },
    '/v1/stock/counts': {
      valid: { lines: [{ productId: p, countedQtyMilli: 3000 }] },
      bad: {
        lines: {
          'a negative count': [{ productId: p, countedQtyMilli: -1 }],
          'a count over the bound': [{ productId: p, countedQtyMilli: 1_000_000_001 }],
        },
        cashier: { empty: '', 'too long': 'x'.repeat(255), ...control },
      },
    },
    '/v1/stock/transfers': {
      valid: { toBranch: 'NYC', lines: [{ productId: p, qtyMilli: 1000 }] },
      bad: {
        toBranch: { 'lower case': 'nyc', empty: '', 'too long': 'X'.repeat(17), NUL: 'N\u0000' },
        lines: { 'a negative quantity': [{ productId: p, qtyMilli: -1 }] },
      },
    },
  });

  it('refuses bad input on every stock route with 400 naming the field, and writes nothing', async () => {
    const failures: string[] = [];
    const before = rowCounts(edge.store);
    for (const [path, { valid, bad }] of Object.entries(bodies(productId()))) {
      const cases: [string, unknown][] = [
        ['malformed JSON', '{"lines":'],
        ['an array', '[]'],
        ['an unknown field', { ...valid, bogus: 1 }],
        ['an id that is no UUID', { ...valid, id: 'not-a-uuid' }],
        ...Object.entries(bad).flatMap(([field, values]) =>
          Object.entries(values).map(([what, value]): [string, unknown] => [
            `${field}: ${what}`,
            { ...valid, [field]: value },
          ]),
        ),
      ];
      for (const [what, body] of cases) {
        const res = await call(app, 'POST', path, body);
        const field = what.split(':')[0]!;
        const named = !what.includes(':') || JSON.stringify(res.body).includes(field);
        if (res.status !== 400 || res.body?.error?.code !== 'invalid_input' || !named) {
          failures.push(`${path} with ${what}: ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(rowCounts(edge.store)).toEqual(before);
  });

  it('refuses an unknown product (404), a transfer to itself (400) or to an unknown branch (404), writing nothing', async () => {
    const before = rowCounts(edge.store);
    const unknown = await call(app, 'POST', '/v1/stock/receipts', {
      lines: [{ productId: 'nope', qtyMilli: 1, unitCostMinor: 1 }],
    });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'unknown_product' } } });
    const self = await call(app, 'POST', '/v1/stock/transfers', {
      toBranch: edge.store.branch,
      lines: [{ productId: productId(), qtyMilli: 1 }],
    });
    expect(self).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
    const nowhere = await call(app, 'POST', '/v1/stock/transfers', {
      toBranch: 'NOWHERE',
      lines: [{ productId: productId(), qtyMilli: 1 }],
    });
    expect(nowhere).toMatchObject({ status: 404, body: { error: { code: 'unknown_branch' } } });
    expect(rowCounts(edge.store)).toEqual(before);
  });

  it('takes each base body, and what it queues passes the cloud’s payload schemas', async () => {
    seedCatalog(edge.store, { products: [], branch: { code: 'NYC', timeZone: 'America/New_York' } });
    for (const [path, { valid }] of Object.entries(bodies(productId()))) {
      const res = await call(app, 'POST', path, valid);
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(201);
    }
    // 1 received, 1 broken, counted 3, 1 sent away.
    expect(edge.store.stock.onHand(productId())[0]?.qtyMilli).toBe(2000);
    expectOutboxWithinCloudSchemas();
  });
});
