// One of every mutation kind, recorded through an edge's HTTP routes with a real cashier session, and
// the check that the tenant's database holds each of them exactly once. The workload: PIN failures
// (one cashier locked after five), a sign-in, a shift opened, a stock count, a goods receipt, a sale
// with a manager's price override, a refund of another till's sale (fetched from the cloud), an
// adjustment, a transfer to another branch, cash taken out, a no-sale with a manager's approval and
// the shift closed (which signs the cashier out). Used by the sync fault suites.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { createProduct } from '../../cloud/catalog/products.ts';
import { createBranch, createTaxRate } from '../../cloud/catalog/reference-data.ts';
import { createUser } from '../../cloud/catalog/users.ts';
import { verifyStoredChains } from '../../cloud/journal/stored-chains.ts';
import type { SqlDatabase } from '../../src/db/sql.ts';
import { movementsOf } from '../../src/domain/stock.ts';
import { journalKinds } from '../../src/protocol/journal.ts';
import {
  type CashierEvent,
  cashierEvents,
  type Mutation,
  mutationKinds,
  type SaleDocument,
  type ShiftClosed,
} from '../../src/protocol/mutations.ts';
import { isStockKind, type StockDocument } from '../../src/protocol/stock.ts';
import { uniqueId } from './engines.ts';
import { deviceState, syncTill, type Till } from './sync.ts';

/** An HTTP call to an edge (app.request() or a real agent): status and parsed body. */
export type EdgeHttp = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies by path and assert their shape
) => Promise<{ status: number; body: any }>;

/** The tenant's people who sign in at tills, and the branch a transfer goes to. */
export interface TillPeople {
  cashier: { id: string; code: string; pin: string };
  manager: { id: string; code: string; pin: string };
  /** A cashier this workload locks out with five wrong PINs. */
  clumsy: { code: string; pin: string };
  toBranch: string;
}

/**
 * Makes what every workload of the tenant needs in the cloud (a 0% default tax rate, a cashier, a
 * manager, a cashier to lock out, branch SIDE). Tills pull it with their catalog.
 */
export async function setUpTillPeople(db: SqlDatabase): Promise<TillPeople> {
  const ctx = { db, actor: 'test' };
  await createTaxRate(ctx, { name: 'None', rateBp: 0, inclusive: false, isDefault: true });
  await createBranch(ctx, { code: 'SIDE', name: 'Side', timeZone: 'UTC' });
  const cashier = await createUser(ctx, { role: 'cashier', name: 'Ana', pin: '4321' });
  const clumsy = await createUser(ctx, { role: 'cashier', name: 'Bo', pin: '8642' });
  const manager = await createUser(ctx, {
    role: 'manager',
    name: 'Mo',
    email: `mo-${uniqueId()}@shop.example`,
    password: 'manager-password-1',
    pin: '97531',
  });
  return {
    cashier: { id: cashier.id, code: cashier.code!, pin: '4321' },
    manager: { id: manager.id, code: manager.code!, pin: '97531' },
    clumsy: { code: clumsy.code!, pin: '8642' },
    toBranch: 'SIDE',
  };
}

/** What one workload works on: its own product (so on hand is its own) and another till's sale of it. */
export interface Workload {
  people: TillPeople;
  productId: string;
  sku: string;
  /** Another till's sale of two units of the product, in the cloud, for the cross-till refund. */
  originalSaleId: string;
}

/** Product price; the sale overrides it to OVERRIDE_PRICE with a manager's approval. */
const PRICE = 500;
const OVERRIDE_PRICE = 450;

/** On hand of the workload's product once it is recorded: at the till's branch, and at the transfer's. */
export const WORKLOAD_ON_HAND = {
  // count 10 → received 5 → sold 1 → refunded 1 (another till's sale) → 0.5 damaged → 3 sent away.
  here: 10_000 + 5000 - 1000 + 1000 - 500 - 3000,
  there: 3000,
} as const;

/**
 * Creates the workload's product in the cloud and a sale of it at `seller` (pushed), after which
 * `till` must pull (the caller's sync, or a running agent's own loop) before recording.
 */
export async function prepareWorkload(
  db: SqlDatabase,
  url: string,
  people: TillPeople,
  seller: Till,
): Promise<Workload> {
  const sku = `K-${uniqueId()}`;
  const product = await createProduct(
    { db, actor: 'test' },
    { sku, name: `Kettle ${sku}`, priceMinor: PRICE },
  );
  await syncTill(url, seller);
  const sold = seller.edge.store.sales.recordSale({
    terminal: seller.terminal,
    lines: [{ sku, qtyMilli: 2000 }],
    payments: [{ method: 'cash', amountMinor: 2 * PRICE }],
  });
  if (!sold.ok) throw new Error(`the seller refused its sale: ${sold.error.message}`);
  await syncTill(url, seller);
  return { people, productId: product.id, sku, originalSaleId: sold.value.value.id };
}

/**
 * Records one of every kind at `terminal` through `http`, each step checked. `afterStep` runs after
 * each answer (a fault test kills a process there). Returns the cashier's session token.
 */
export async function recordEveryKind(
  http: EdgeHttp,
  terminal: string,
  w: Workload,
  afterStep: (step: number) => Promise<void> = async () => {},
): Promise<string> {
  let step = 0;
  const expectStatus = async (
    what: string,
    res: Promise<{ status: number; body: unknown }>,
    ...statuses: number[]
  ) => {
    const { status, body } = await res;
    if (!statuses.includes(status)) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
    await afterStep(++step);
    // biome-ignore lint/suspicious/noExplicitAny: the answers are read by path
    return body as any;
  };
  const { cashier, manager, clumsy, toBranch } = w.people;
  const approval = { code: manager.code, pin: manager.pin };
  const signIn = (code: string, pin: string) => http('POST', '/v1/cashier-sessions', { terminal, code, pin });

  await expectStatus('a wrong PIN', signIn(cashier.code, '0000'), 401);
  // Five wrong PINs lock that cashier at this edge (the fifth may already answer locked).
  for (let i = 0; i < 5; i++) await expectStatus('a clumsy PIN', signIn(clumsy.code, '0000'), 401, 429);
  const session = await expectStatus('the sign-in', signIn(cashier.code, cashier.pin), 201);
  const auth = { authorization: `Bearer ${session.token}` };
  const post = (what: string, path: string, body: object, status = 201) =>
    expectStatus(what, http('POST', path, { id: randomUUID(), ...body }, auth), status);

  const shift = await post('the shift', '/v1/shifts', { terminal, openingFloatMinor: 1000 });
  const lines = (qty: Record<string, number>) => [{ productId: w.productId, ...qty }];
  await post('the count', '/v1/stock/counts', { lines: lines({ countedQtyMilli: 10_000 }) });
  await post('the receipt', '/v1/stock/receipts', { lines: lines({ qtyMilli: 5000, unitCostMinor: 40 }) });
  await post('the sale', '/v1/sales', {
    terminal,
    lines: [{ sku: w.sku, qtyMilli: 1000, unitPriceMinor: OVERRIDE_PRICE }],
    payments: [{ method: 'cash', amountMinor: OVERRIDE_PRICE }],
    approval,
  });
  await post('the refund of another till’s sale', `/v1/sales/${w.originalSaleId}/refunds`, {
    terminal,
    lines: [{ lineNo: 1, qtyMilli: 1000 }],
    payments: [{ method: 'cash', amountMinor: PRICE }],
  });
  await post('the adjustment', '/v1/stock/adjustments', {
    reason: 'Damaged',
    lines: lines({ deltaQtyMilli: -500 }),
  });
  await post('the transfer', '/v1/stock/transfers', { toBranch, lines: lines({ qtyMilli: 3000 }) });
  await post('the cash out', `/v1/shifts/${shift.id}/cash-movements`, {
    direction: 'out',
    amountMinor: 200,
    reason: 'Bank',
  });
  await post('the no-sale', '/v1/drawer/no-sale', { terminal, reason: 'change', approval });
  await expectStatus(
    'the close',
    http('POST', `/v1/shifts/${shift.id}/close`, { counted: [{ method: 'cash', countedMinor: 750 }] }, auth),
    200,
  );
  return session.token as string;
}

const byId = <T extends { id: string }>(rows: T[]) => [...rows].sort((a, b) => (a.id < b.id ? -1 : 1));

/**
 * The tenant's database holds each document of `outbox` (the device's whole outbox) exactly once:
 * sales and refunds with their lines and payments, shifts (closed, with their counts), cash
 * movements, cashier events in audit_logs, stock documents with their ledger rows, on hand of the
 * workload's product; and the device stands at the outbox's last seq with nothing quarantined.
 */
export async function expectEveryKindOnce(
  db: SqlDatabase,
  deviceId: string,
  outbox: readonly Mutation[],
  w: Workload,
): Promise<void> {
  // The workload covers every kind there is, and every cashier event: a new one fails here.
  expect(new Set(outbox.map((m) => m.kind))).toEqual(new Set(mutationKinds));
  const of = (...kinds: string[]) => outbox.filter((m) => kinds.includes(m.kind));
  const events = of('cashier_event').map((m) => m.payload as CashierEvent);
  expect(new Set(events.map((e) => e.event))).toEqual(new Set(cashierEvents));

  const documents = of('sale', 'refund').map((m) => m.payload as SaleDocument);
  const sales = await db.query<{ id: string; kind: string; total: unknown; lines: number; payments: number }>(
    `SELECT s.id, s.kind, s.total_minor AS total,
            (SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id)::int4 AS lines,
            (SELECT count(*) FROM payments p WHERE p.sale_id = s.id)::int4 AS payments
       FROM sales s WHERE s.device_id = $1 ORDER BY s.id`,
    [deviceId],
  );
  expect(sales.map((s) => ({ ...s, total: Number(s.total) }))).toEqual(
    byId(
      documents.map((d) => ({
        id: d.id,
        kind: d.kind,
        total: d.totalMinor,
        lines: d.lines.length,
        payments: d.payments.length,
      })),
    ),
  );
  expect(documents.find((d) => d.kind === 'refund')?.originalSaleId).toBe(w.originalSaleId);

  const closes = new Map(of('shift_close').map((m) => [(m.payload as ShiftClosed).shiftId, m.payload]));
  const shifts = await db.query<{ id: string; closed: boolean; counts: number }>(
    `SELECT s.id, s.closed_at IS NOT NULL AS closed,
            (SELECT count(*) FROM shift_counts c WHERE c.shift_id = s.id)::int4 AS counts
       FROM shifts s WHERE s.device_id = $1 ORDER BY s.id`,
    [deviceId],
  );
  expect(shifts).toEqual(
    byId(
      of('shift_open').map((m) => ({
        id: m.id,
        closed: closes.has(m.id),
        counts: (closes.get(m.id) as ShiftClosed | undefined)?.counted.length ?? 0,
      })),
    ),
  );
  const cash = await db.query<{ id: string }>(
    `SELECT m.id FROM cash_movements m JOIN shifts s ON s.id = m.shift_id WHERE s.device_id = $1 ORDER BY m.id`,
    [deviceId],
  );
  expect(cash).toEqual(byId(of('cash_movement').map((m) => ({ id: m.id }))));

  const audit = await db.query<{ id: string; action: string }>(
    'SELECT id, action FROM audit_logs WHERE device_id = $1 ORDER BY device_seq',
    [deviceId],
  );
  expect(audit).toEqual(events.map((e) => ({ id: e.id, action: `cashier.${e.event}` })));

  const stock = outbox.filter((m) => isStockKind(m.kind));
  const stockDocs = await db.query<{ id: string; kind: string }>(
    'SELECT id, kind FROM stock_documents WHERE device_id = $1 ORDER BY id',
    [deviceId],
  );
  expect(stockDocs).toEqual(byId(stock.map((m) => ({ id: m.id, kind: m.kind }))));
  const movementIds = [
    ...stock.flatMap((m) => movementsOf({ kind: m.kind, doc: m.payload } as StockDocument).map((r) => r.id)),
    ...documents.flatMap((d) => d.stockMovements.map((r) => r.id)),
  ].sort();
  const ledger = await db.query<{ id: string }>(
    'SELECT id FROM stock_movements WHERE product_id = $1 AND device_id = $2 ORDER BY id',
    [w.productId, deviceId],
  );
  expect(ledger.map((r) => r.id)).toEqual(movementIds);
  const onHand = await db.query<{ branch: string; q: unknown }>(
    'SELECT branch_code AS branch, qty_milli AS q FROM stock_on_hand WHERE product_id = $1 ORDER BY branch_code',
    [w.productId],
  );
  expect(onHand.map((r) => [r.branch, Number(r.q)])).toEqual([
    ['MAIN', WORKLOAD_ON_HAND.here],
    [w.people.toBranch, WORKLOAD_ON_HAND.there],
  ]);

  expect(await deviceState(db, deviceId)).toEqual({
    lastAppliedSeq: outbox.at(-1)?.seq ?? 0,
    quarantined: 0,
  });

  // The journal: one link per journaled document, none flagged on push, and the device's chains verify.
  const journaled = outbox.filter((m) => (journalKinds as readonly string[]).includes(m.kind));
  const links = await db.query<{ kind: string; id: string; broken: string | null; org: string }>(
    `SELECT l.kind, l.document_id AS id, l.break_reason AS broken, h.org_id AS org
       FROM journal_links l JOIN journal_heads h ON h.store_id = l.store_id AND h.terminal = l.terminal
      WHERE l.device_id = $1 ORDER BY l.kind, l.document_id`,
    [deviceId],
  );
  const linkId = (m: Mutation) => (m.kind === 'shift_close' ? (m.payload as ShiftClosed).shiftId : m.id);
  expect(links.map(({ kind, id, broken }) => ({ kind, id, broken }))).toEqual(
    journaled
      .map((m) => ({ kind: m.kind, id: linkId(m), broken: null }))
      .sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1)),
  );
  const verdicts = await verifyStoredChains(db, links[0]?.org ?? '');
  expect(verdicts.filter((v) => !v.intact)).toEqual([]);
}
