// Cashier sign-in at the edge through the cashier API (docs/edge.md#cashier-sessions): offline
// against the pulled PIN hashes, the throttle (5 wrong PINs lock a code for 5 minutes, across a
// restart), the session's end (sign-out, its shift's close, 12 hours, another sign-in, deactivation),
// the signed-in user on every document, manager approvals recorded where they apply, and a session
// worthless at another edge. The store's clock is injected: nothing here sleeps.
import { createHash } from 'node:crypto';
import type { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEdgeApp } from '../../edge/http/app.ts';
import { cashierEventSchema } from '../../src/protocol/mutations.ts';
import {
  call,
  createTestEdge,
  outboxMutations,
  rowCounts,
  seedCatalog,
  seedTillUser,
  type TestEdge,
} from '../helpers/edge.ts';

const T0 = new Date('2026-05-04T08:00:00.000Z');
const CASHIER = { code: '1001', pin: '4321', name: 'Ana' };
const MANAGER = { code: '9001', pin: '97531', name: 'Mo', role: 'manager' };

let clock: Date;
let edge: TestEdge;
let app: Hono;
let cashierId: string;
let managerId: string;

const at = (ms: number) => new Date(T0.getTime() + ms);
const minutes = (n: number) => n * 60 * 1000;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const signIn = (terminal: string, code: string, pin: string, on = app) =>
  call(on, 'POST', '/v1/cashier-sessions', { terminal, code, pin });
const sale = (over: Record<string, unknown> = {}) => ({
  terminal: 'T1',
  lines: [{ sku: 'MUG', qtyMilli: 1000 }],
  payments: [{ method: 'cash', amountMinor: 1000 }],
  ...over,
});
/** The cashier events queued so far, parsed as the cloud will. */
const events = () =>
  outboxMutations(edge.store)
    .filter((m) => m.kind === 'cashier_event')
    .map((m) => cashierEventSchema.parse(m.payload));

async function openEdge(): Promise<TestEdge> {
  const e = await createTestEdge({ now: () => clock });
  seedCatalog(e.store, {
    products: [
      { sku: 'MUG', name: 'Mug', priceMinor: 1000, taxRateBp: 0 },
      { sku: 'TV', name: 'TV', priceMinor: 60_000, taxRateBp: 0 },
    ],
  });
  return e;
}

beforeEach(async () => {
  clock = T0;
  edge = await openEdge();
  // As a pull writes them: the edge never asks the cloud for a PIN.
  cashierId = await seedTillUser(edge.store, CASHIER);
  managerId = await seedTillUser(edge.store, MANAGER);
  app = createEdgeApp({ store: edge.store });
});
afterEach(() => edge.destroy());

describe('signing in', () => {
  it('works offline with the pulled PIN hash and answers a token for 12 hours; only its hash is stored', async () => {
    const res = await signIn('T1', CASHIER.code, CASHIER.pin);
    expect(res).toEqual({
      status: 201,
      body: {
        token: expect.stringMatching(/^mpc_[\w-]{32}$/),
        expiresAt: at(12 * 60 * minutes(1)).toISOString(),
        user: { id: cashierId, name: 'Ana', role: 'cashier' },
        terminal: 'T1',
      },
    });
    const { token } = res.body;
    const rows = edge.store.database.sqlite.prepare('SELECT * FROM cashier_sessions').all();
    expect(JSON.stringify(rows)).not.toContain(token);
    expect(rows).toEqual([
      expect.objectContaining({
        token_hash: createHash('sha256').update(token).digest('hex'),
        user_id: cashierId,
        terminal: 'T1',
        ended_at: null,
      }),
    ]);
    expect(await call(app, 'GET', '/v1/cashier-sessions/current', undefined, bearer(token))).toMatchObject({
      status: 200,
      body: { terminal: 'T1', user: { id: cashierId }, expiresAt: res.body.expiresAt },
    });
    expect(events()).toEqual([
      expect.objectContaining({ event: 'signed_in', userId: cashierId, terminal: 'T1', branch: 'B01' }),
    ]);
  });

  it('refuses a wrong PIN and an unknown code alike with 401, counting each, and opens nothing', async () => {
    for (const [code, pin] of [
      [CASHIER.code, '0000'],
      ['4444', CASHIER.pin],
    ] as const) {
      const res = await signIn('T1', code, pin);
      expect(res).toMatchObject({
        status: 401,
        body: { error: { code: 'cashier_pin_wrong', message: 'the cashier code or the PIN is wrong' } },
      });
    }
    expect(edge.store.database.sqlite.prepare('SELECT count(*) AS n FROM cashier_sessions').get()).toEqual({
      n: 0,
    });
    expect(events()).toEqual([
      expect.objectContaining({ event: 'pin_failed', userId: cashierId, code: '1001', detail: 'sign_in' }),
      expect.objectContaining({ event: 'pin_failed', userId: null, code: '4444', detail: 'sign_in' }),
    ]);
  });

  it('locks a code at this edge after 5 wrong PINs for 5 minutes, across a restart, then lets the right PIN in', async () => {
    for (let i = 1; i <= 4; i++) {
      expect(await signIn('T1', CASHIER.code, '1111')).toMatchObject({
        status: 401,
        body: { error: { details: { attemptsLeft: 5 - i } } },
      });
    }
    const lockedUntil = at(minutes(5)).toISOString();
    expect(await signIn('T1', CASHIER.code, '1111')).toMatchObject({
      status: 429,
      body: { error: { code: 'cashier_locked', details: { lockedUntil } } },
    });
    // The right PIN waits too, another code does not, and a restart keeps the lock.
    expect((await signIn('T1', CASHIER.code, CASHIER.pin)).status).toBe(429);
    expect((await signIn('T1', MANAGER.code, MANAGER.pin)).status).toBe(201);
    app = createEdgeApp({ store: await edge.reopen() });
    clock = at(minutes(5) - 1);
    expect(await signIn('T2', CASHIER.code, CASHIER.pin)).toMatchObject({
      status: 429,
      body: { error: { code: 'cashier_locked' } },
    });
    clock = at(minutes(5));
    expect((await signIn('T2', CASHIER.code, CASHIER.pin)).status).toBe(201);
    expect(events().map((e) => e.event)).toEqual([
      ...Array(5).fill('pin_failed'),
      'locked',
      'signed_in',
      'signed_in',
    ]);
    // A success starts the count again: four more wrong PINs do not lock.
    for (let i = 0; i < 4; i++) expect((await signIn('T2', CASHIER.code, '1111')).status).toBe(401);
  });

  it('is refused to a deactivated user and to a user without a PIN', async () => {
    await seedTillUser(edge.store, { code: '1002', pin: '2222', active: false });
    expect((await signIn('T1', '1002', '2222')).status).toBe(401);
    edge.store.database.sqlite.prepare("UPDATE users SET pin_hash = NULL WHERE code = '1001'").run();
    expect((await signIn('T1', CASHIER.code, CASHIER.pin)).status).toBe(401);
  });
});

describe('a session', () => {
  const signedIn = async (terminal = 'T1', who: { code: string; pin: string } = CASHIER) => {
    const res = await signIn(terminal, who.code, who.pin);
    expect(res.status).toBe(201);
    return bearer(res.body.token as string);
  };

  it('is required for sales, refunds, shifts, cash movements, closes, no-sales and stock; writes nothing without one', async () => {
    const before = rowCounts(edge.store);
    const mug = edge.store.searchProducts('MUG', 1)[0]!.id;
    const writes: [string, unknown][] = [
      ['/v1/stock/receipts', { lines: [{ productId: mug, qtyMilli: 1000, unitCostMinor: 100 }] }],
      ['/v1/stock/adjustments', { reason: 'broken', lines: [{ productId: mug, deltaQtyMilli: -1000 }] }],
      ['/v1/stock/counts', { lines: [{ productId: mug, countedQtyMilli: 0 }] }],
      ['/v1/stock/transfers', { toBranch: 'NYC', lines: [{ productId: mug, qtyMilli: 1000 }] }],
      ['/v1/sales', sale()],
      ['/v1/sales/x/refunds', { terminal: 'T1', lines: [{ lineNo: 1, qtyMilli: 1000 }], payments: [] }],
      ['/v1/shifts', { terminal: 'T1', openingFloatMinor: 0 }],
      ['/v1/shifts/x/cash-movements', { direction: 'in', amountMinor: 1, reason: 'float' }],
      ['/v1/shifts/x/close', { counted: [{ method: 'cash', countedMinor: 0 }] }],
      ['/v1/drawer/no-sale', { terminal: 'T1' }],
    ];
    for (const [path, body] of writes) {
      expect(await call(app, 'POST', path, body)).toMatchObject({
        status: 401,
        body: { error: { code: 'cashier_session_required' } },
      });
      for (const token of ['Bearer mpc_forged', 'Bearer ', 'Basic abc']) {
        expect(await call(app, 'POST', path, body, { authorization: token })).toMatchObject({
          status: 401,
          body: { error: { code: 'cashier_session_invalid' } },
        });
      }
    }
    expect(rowCounts(edge.store)).toEqual(before);
  });

  it("puts the signed-in user on every document, whatever the body says, and only at the session's terminal", async () => {
    const auth = await signedIn();
    const shift = await call(
      app,
      'POST',
      '/v1/shifts',
      { terminal: 'T1', openingFloatMinor: 500, cashier: 'Eve' },
      auth,
    );
    expect(shift).toMatchObject({ status: 201, body: { openedBy: 'Ana', openedByUserId: cashierId } });
    const sold = await call(app, 'POST', '/v1/sales', sale({ cashier: 'Eve' }), auth);
    expect(sold).toMatchObject({
      status: 201,
      body: { cashier: 'Ana', cashierUserId: cashierId, flags: [] },
    });
    const moved = await call(
      app,
      'POST',
      `/v1/shifts/${shift.body.id}/cash-movements`,
      { direction: 'out', amountMinor: 100, reason: 'bank', cashier: 'Eve' },
      auth,
    );
    expect(moved).toMatchObject({ status: 201, body: { cashier: 'Ana', cashierUserId: cashierId } });
    const mug = edge.store.searchProducts('MUG', 1)[0]!.id;
    const received = await call(
      app,
      'POST',
      '/v1/stock/receipts',
      { cashier: 'Eve', lines: [{ productId: mug, qtyMilli: 1000, unitCostMinor: 100 }] },
      auth,
    );
    expect(received).toMatchObject({ status: 201, body: { actor: 'Ana' } });
    // Another terminal's documents and shifts are refused (403) with nothing written.
    const other = await signedIn('T2', MANAGER);
    const before = rowCounts(edge.store);
    for (const [path, body] of [
      ['/v1/sales', sale({ terminal: 'T2' })],
      ['/v1/shifts', { terminal: 'T2', openingFloatMinor: 0 }],
      ['/v1/drawer/no-sale', { terminal: 'T2' }],
    ] as const) {
      expect(await call(app, 'POST', path, body, auth)).toMatchObject({
        status: 403,
        body: { error: { code: 'terminal_mismatch', details: { sessionTerminal: 'T1' } } },
      });
    }
    expect(
      await call(
        app,
        'POST',
        `/v1/shifts/${shift.body.id}/close`,
        { counted: [{ method: 'cash', countedMinor: 0 }] },
        other,
      ),
    ).toMatchObject({ status: 403, body: { error: { code: 'terminal_mismatch' } } });
    expect(rowCounts(edge.store)).toEqual(before);
    const closed = await call(
      app,
      'POST',
      `/v1/shifts/${shift.body.id}/close`,
      { counted: [{ method: 'cash', countedMinor: 1400 }], cashier: 'Eve' },
      auth,
    );
    expect(closed).toMatchObject({
      status: 200,
      body: { shift: { closedBy: 'Ana', closedByUserId: cashierId } },
    });
    // What goes to the cloud names the user too.
    const payloads = Object.fromEntries(outboxMutations(edge.store).map((m) => [m.kind, m.payload]));
    expect(payloads).toMatchObject({
      shift_open: { openedByUserId: cashierId },
      sale: { cashierUserId: cashierId },
      cash_movement: { cashierUserId: cashierId },
      shift_close: { closedByUserId: cashierId },
    });
  });

  it('ends with sign-out', async () => {
    const auth = await signedIn();
    expect(await call(app, 'DELETE', '/v1/cashier-sessions/current', undefined, auth)).toMatchObject({
      status: 200,
      body: { endedAt: T0.toISOString() },
    });
    expect((await call(app, 'POST', '/v1/sales', sale(), auth)).body.error.code).toBe(
      'cashier_session_invalid',
    );
    expect((await call(app, 'DELETE', '/v1/cashier-sessions/current', undefined, auth)).status).toBe(401);
    expect(events().at(-1)).toMatchObject({ event: 'signed_out', userId: cashierId, detail: 'signed_out' });
  });

  it('ends after 12 hours', async () => {
    const auth = await signedIn();
    clock = at(12 * 60 * minutes(1) - 1);
    expect((await call(app, 'POST', '/v1/sales', sale(), auth)).status).toBe(201);
    clock = at(12 * 60 * minutes(1));
    expect(await call(app, 'POST', '/v1/sales', sale(), auth)).toMatchObject({
      status: 401,
      body: { error: { code: 'cashier_session_invalid' } },
    });
  });

  it("ends with the close of a shift on its terminal, and when another cashier signs in there; other terminals' sessions go on", async () => {
    const t1 = await signedIn('T1');
    const t2 = await signedIn('T2', MANAGER);
    const shift = await call(app, 'POST', '/v1/shifts', { terminal: 'T1', openingFloatMinor: 0 }, t1);
    await call(
      app,
      'POST',
      `/v1/shifts/${shift.body.id}/close`,
      { counted: [{ method: 'cash', countedMinor: 0 }] },
      t1,
    );
    expect((await call(app, 'POST', '/v1/sales', sale(), t1)).status).toBe(401);
    expect((await call(app, 'POST', '/v1/sales', sale({ terminal: 'T2' }), t2)).status).toBe(201);
    expect(events().filter((e) => e.event === 'signed_out')).toEqual([
      expect.objectContaining({ userId: cashierId, terminal: 'T1', detail: 'shift_closed' }),
    ]);
    const again = await signedIn('T2');
    expect((await call(app, 'POST', '/v1/sales', sale({ terminal: 'T2' }), t2)).status).toBe(401);
    expect((await call(app, 'POST', '/v1/sales', sale({ terminal: 'T2' }), again)).status).toBe(201);
  });

  it('ends when its user is deactivated (pulled from HQ)', async () => {
    const auth = await signedIn();
    edge.store.database.sqlite.prepare('UPDATE users SET active = 0 WHERE id = ?').run(cashierId);
    expect((await call(app, 'POST', '/v1/sales', sale(), auth)).status).toBe(401);
  });

  it('is worthless at another edge, even one that knows the same cashier', async () => {
    const auth = await signedIn();
    const other = await openEdge();
    try {
      await seedTillUser(other.store, { ...CASHIER, id: cashierId });
      const otherApp = createEdgeApp({ store: other.store });
      expect(await call(otherApp, 'POST', '/v1/sales', sale(), auth)).toMatchObject({
        status: 401,
        body: { error: { code: 'cashier_session_invalid' } },
      });
      expect((await call(otherApp, 'GET', '/v1/cashier-sessions/current', undefined, auth)).status).toBe(401);
    } finally {
      other.destroy();
    }
  });
});

describe('manager approval', () => {
  let auth: Record<string, string>;
  const approval = { code: MANAGER.code, pin: MANAGER.pin };
  beforeEach(async () => {
    auth = bearer((await signIn('T1', CASHIER.code, CASHIER.pin)).body.token);
  });
  const bigSale = () =>
    call(
      app,
      'POST',
      '/v1/sales',
      sale({ lines: [{ sku: 'TV', qtyMilli: 1000 }], payments: [{ method: 'card', amountMinor: 60_000 }] }),
      auth,
    );
  const refundAll = (saleId: string, over: Record<string, unknown> = {}, headers = auth) =>
    call(
      app,
      'POST',
      `/v1/sales/${saleId}/refunds`,
      {
        terminal: 'T1',
        lines: [{ lineNo: 1, qtyMilli: 1000 }],
        payments: [{ method: 'card', amountMinor: 60_000 }],
        ...over,
      },
      headers,
    );

  it('is needed for a refund over the limit (5000 by default) and recorded on it; a small one needs none', async () => {
    const big = await bigSale();
    const before = rowCounts(edge.store);
    expect(await refundAll(big.body.id)).toMatchObject({
      status: 403,
      body: { error: { code: 'approval_required', details: { reasons: ['refund_over_limit'] } } },
    });
    // A cashier's own code cannot approve; a wrong manager PIN is a counted failure.
    expect(
      await refundAll(big.body.id, { approval: { code: CASHIER.code, pin: CASHIER.pin } }),
    ).toMatchObject({
      status: 403,
      body: { error: { code: 'approval_not_allowed' } },
    });
    expect(rowCounts(edge.store)).toEqual(before);
    expect(await refundAll(big.body.id, { approval: { code: MANAGER.code, pin: '11111' } })).toMatchObject({
      status: 401,
      body: { error: { code: 'cashier_pin_wrong' } },
    });
    expect(events().at(-1)).toMatchObject({ event: 'pin_failed', userId: managerId, detail: 'approval' });
    const refund = await refundAll(big.body.id, { approval });
    expect(refund).toMatchObject({
      status: 201,
      body: {
        cashierUserId: cashierId,
        approval: { approverUserId: managerId, approvedAt: T0.toISOString(), reasons: ['refund_over_limit'] },
      },
    });
    expect(await call(app, 'GET', `/v1/sales/${refund.body.id}`)).toEqual({ status: 200, body: refund.body });
    const queued = outboxMutations(edge.store).find((m) => m.id === refund.body.id);
    expect(queued?.payload).toMatchObject({ approval: refund.body.approval });
    expect(events().at(-1)).toMatchObject({
      event: 'approved',
      userId: cashierId,
      documentId: refund.body.id,
      approval: refund.body.approval,
    });
    const small = await call(app, 'POST', '/v1/sales', sale(), auth);
    const smallRefund = await refundAll(small.body.id, { payments: [{ method: 'cash', amountMinor: 1000 }] });
    expect(smallRefund.status).toBe(201);
    expect(smallRefund.body).not.toHaveProperty('approval');
  });

  it('is needed for a price other than the catalog price', async () => {
    const overridden = sale({
      lines: [{ sku: 'MUG', qtyMilli: 1000, unitPriceMinor: 800 }],
      payments: [{ method: 'cash', amountMinor: 800 }],
    });
    const before = rowCounts(edge.store);
    expect(await call(app, 'POST', '/v1/sales', overridden, auth)).toMatchObject({
      status: 403,
      body: { error: { code: 'approval_required', details: { reasons: ['price_override'] } } },
    });
    expect(rowCounts(edge.store)).toEqual(before);
    const approved = await call(app, 'POST', '/v1/sales', { ...overridden, approval }, auth);
    expect(approved).toMatchObject({
      status: 201,
      body: {
        receiptNo: 'B01-T1-000001',
        lines: [{ unitPriceMinor: 800, flags: ['price_override'] }],
        approval: { approverUserId: managerId, reasons: ['price_override'] },
      },
    });
  });

  it('is needed to open the drawer without a sale, recorded as a cashier event; a retry answers the first', async () => {
    const before = rowCounts(edge.store);
    expect(await call(app, 'POST', '/v1/drawer/no-sale', { terminal: 'T1' }, auth)).toMatchObject({
      status: 403,
      body: { error: { code: 'approval_required', details: { reasons: ['no_sale'] } } },
    });
    expect(rowCounts(edge.store)).toEqual(before);
    const body = {
      id: '0190f5c2-6b1e-7c3a-9a51-3f0b8a2d4e77',
      terminal: 'T1',
      reason: 'change for a note',
      approval,
    };
    const opened = await call(app, 'POST', '/v1/drawer/no-sale', body, auth);
    expect(opened).toMatchObject({
      status: 201,
      body: {
        id: body.id,
        event: 'drawer_opened',
        userId: cashierId,
        detail: 'change for a note',
        approval: { approverUserId: managerId, reasons: ['no_sale'] },
      },
    });
    const queued = rowCounts(edge.store);
    expect(await call(app, 'POST', '/v1/drawer/no-sale', body, auth)).toEqual({
      status: 200,
      body: opened.body,
    });
    expect(rowCounts(edge.store)).toEqual(queued);
    // Its id is taken: a sale under it is refused, not stored beside it.
    expect(await call(app, 'POST', '/v1/sales', sale({ id: body.id }), auth)).toMatchObject({
      status: 409,
      body: { error: { code: 'id_conflict' } },
    });
    expect(rowCounts(edge.store)).toEqual(queued);
  });

  it("is a manager's own session: what they do needs no second PIN and names them as approver", async () => {
    const manager = bearer((await signIn('T2', MANAGER.code, MANAGER.pin)).body.token);
    const opened = await call(app, 'POST', '/v1/drawer/no-sale', { terminal: 'T2' }, manager);
    expect(opened).toMatchObject({
      status: 201,
      body: { userId: managerId, approval: { approverUserId: managerId } },
    });
  });
});

describe('--open-cashier-api', () => {
  it("keeps the API as it was: no session, the body's cashier, nothing needs approval", async () => {
    const open = createEdgeApp({ store: edge.store, openCashierApi: true });
    const sold = await call(
      open,
      'POST',
      '/v1/sales',
      sale({
        cashier: 'till-integration',
        lines: [{ sku: 'TV', qtyMilli: 1000, unitPriceMinor: 50_000 }],
        payments: [{ method: 'card', amountMinor: 50_000 }],
      }),
    );
    expect(sold).toMatchObject({
      status: 201,
      body: {
        cashier: 'till-integration',
        cashierUserId: null,
        flags: expect.arrayContaining(['unknown_cashier']),
      },
    });
    expect(sold.body).not.toHaveProperty('approval');
    const refund = await call(open, 'POST', `/v1/sales/${sold.body.id}/refunds`, {
      terminal: 'T9',
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
      payments: [{ method: 'card', amountMinor: 50_000 }],
    });
    expect(refund.status).toBe(201);
    // A session sent all the same is honoured (and must be valid).
    const token = (await signIn('T1', CASHIER.code, CASHIER.pin, open)).body.token;
    expect(await call(open, 'POST', '/v1/sales', sale(), bearer(token))).toMatchObject({
      status: 201,
      body: { cashierUserId: cashierId },
    });
    expect((await call(open, 'POST', '/v1/sales', sale(), bearer('mpc_nope'))).status).toBe(401);
  });
});
