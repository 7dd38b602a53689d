// On hand and `stock_below_zero` follow occurredAt, not arrival, on every engine. Two tills of a
// branch record a goods receipt, sales and a count at chosen instants; their mutations reach the
// cloud in every interleaving their own seq order allows. Each ends with the same on hand, the same
// count correction and the same flags on the same sales as the in-order push: a count fixes on hand
// at its instant, and an earlier movement arriving late re-evaluates the later sales. An edge that
// pulls the rows in any order keeps the same on hand.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { applyBatch } from '../../cloud/sync/apply-batch.ts';
import { readStockMovements } from '../../cloud/sync/pull-stock.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { applyStockMovements } from '../../edge/sync/apply-stock.ts';
import type { ClosableSqlDatabase, SqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { createTestEdge, outboxMutations, seedCatalog, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

const scope = { branchCode: 'MAIN', currency: 'EUR' };
const at = (hhmm: string) => new Date(`2026-05-04T${hhmm}:00.000Z`);

interface Outcome {
  saleA: string[];
  saleB: string[];
  lineA: string[];
  lineB: string[];
  onHand: number;
  countDelta: number;
  ledgerSum: number;
  /** On hand's latest instant is the ledger's (tenant migration 0014). */
  summedToLedger: boolean;
  /** On hand at an edge of the branch that pulled every row of the product, newest first. */
  edgeOnHand: number;
  results: string[];
}

describe.each(engineNames)('stock in occurredAt order on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let orgId: string;
  const edges: TestEdge[] = [];
  let run = 0;

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    orgId = uniqueId('ord');
    await onboardTenant(p.tenants, { orgId, name: 'Order', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
  });
  afterAll(async () => {
    for (const e of edges) e.destroy();
    await db?.close();
    await p?.destroy();
  });

  /**
   * Till X receives 5 at 09:00, sells 2 at 10:00 and counts 1 at 10:02; till Y sells `bQty` at
   * `bAt`. X's three mutations go one batch each; Y's sale goes after `yAfter` of them.
   */
  async function scenario(bAt: string, bQty: number, yAfter: number): Promise<Outcome> {
    run++;
    const productId = randomUUID();
    let clock = at('09:00');
    const till = async (name: string) => {
      const device = await registerDevice(
        { db, orgId, actor: 'test' },
        { branch: 'MAIN', name: `${name} ${run}` },
      );
      const edge = await createTestEdge({ identity: { branch: 'MAIN', currency: 'EUR' }, now: () => clock });
      edges.push(edge);
      seedCatalog(edge.store, { products: [{ id: productId, sku: 'TEA', priceMinor: 100 }] });
      return { deviceId: device.deviceId, store: edge.store, terminal: `${name}${run}` };
    };
    const x = await till('X');
    const y = await till('Y');
    const sell = (t: typeof x, qtyMilli: number) => {
      const sold = t.store.sales.recordSale({
        terminal: t.terminal,
        lines: [{ productId, qtyMilli }],
        payments: [{ method: 'cash', amountMinor: 100_000 }],
      });
      if (!sold.ok) throw new Error(sold.error.message);
      return sold.value.value.id;
    };
    const received = x.store.stock.receive({ lines: [{ productId, qtyMilli: 5000, unitCostMinor: 50 }] });
    if (!received.ok) throw new Error(received.error.message);
    clock = at('10:00');
    const saleA = sell(x, 2000);
    clock = at('10:02');
    const count = x.store.stock.count({ lines: [{ productId, countedQtyMilli: 1000 }] });
    if (!count.ok) throw new Error(count.error.message);
    clock = at(bAt);
    const saleB = sell(y, bQty);

    const xs = outboxMutations(x.store);
    const batches: [string, Mutation[]][] = xs.map((m) => [x.deviceId, [m]]);
    batches.splice(yAfter, 0, [y.deviceId, outboxMutations(y.store)]);
    const results: string[] = [];
    for (const [deviceId, mutations] of batches) {
      const outcome = await applyBatch(db, { deviceId, scope, mutations });
      if (!outcome.ok) throw new Error(outcome.code);
      results.push(...outcome.results.map((r) => r.status));
    }
    const flags = async (id: string) => {
      const [sale] = await db.query<{ flags: string }>('SELECT flags FROM sales WHERE id = $1', [id]);
      const [line] = await db.query<{ flags: string }>('SELECT flags FROM sale_lines WHERE sale_id = $1', [
        id,
      ]);
      return [JSON.parse(sale!.flags) as string[], JSON.parse(line!.flags) as string[]] as const;
    };
    const [fa, la] = await flags(saleA);
    const [fb, lb] = await flags(saleB);
    const [hand] = await db.query<{ q: number }>(
      "SELECT qty_milli AS q FROM stock_on_hand WHERE branch_code = 'MAIN' AND product_id = $1",
      [productId],
    );
    const [delta] = await db.query<{ d: number }>(
      "SELECT delta_qty_milli AS d FROM stock_movements WHERE product_id = $1 AND reason = 'count'",
      [productId],
    );
    const [sum] = await db.query<{ s: string }>(
      'SELECT sum(delta_qty_milli)::text AS s FROM stock_movements WHERE product_id = $1',
      [productId],
    );
    const [summed] = await db.query<{ ok: boolean }>(
      `SELECT bool_and(h.max_occurred_at = l.at) AS ok
         FROM stock_on_hand h
         JOIN (SELECT branch_code, product_id, max(occurred_at) AS at
                 FROM stock_movements GROUP BY branch_code, product_id) l USING (branch_code, product_id)
        WHERE h.product_id = $1`,
      [productId],
    );
    // An edge meeting the rows in the worst order still keeps the cloud's on hand.
    const page = await readStockMovements(db, 'MAIN', 'nobody', 0, 5000);
    const rows = page.movements.filter((m) => m.productId === productId).reverse();
    const reader = await createTestEdge({ identity: { branch: 'MAIN', currency: 'EUR' } });
    edges.push(reader);
    for (const row of rows) applyStockMovements(reader.store, [row], page.cursor);
    return {
      edgeOnHand: reader.store.stock.onHand(productId)[0]?.qtyMilli ?? 0,
      saleA: fa,
      saleB: fb,
      lineA: la,
      lineB: lb,
      onHand: Number(hand!.q),
      countDelta: Number(delta!.d),
      ledgerSum: Number(sum!.s),
      summedToLedger: summed?.ok === true,
      results,
    };
  }

  const flagged = ['stock_below_zero'];

  it('flags a sale after the count as if pushed in order, whichever till pushes first', async () => {
    // In order: 5, −2 → 3, count 1 (corrects −2), −2 → −1: only B is below zero.
    const expected = {
      saleA: [],
      saleB: flagged,
      lineA: [],
      lineB: flagged,
      onHand: -1000,
      edgeOnHand: -1000,
      countDelta: -2000,
      ledgerSum: -1000,
      summedToLedger: true,
      results: ['applied', 'applied', 'applied', 'applied'],
    };
    for (const yAfter of [3, 0, 1, 2]) {
      expect({ yAfter, ...(await scenario('10:05', 2000, yAfter)) }).toEqual({ yAfter, ...expected });
    }
  });

  it('lets a count absorb an earlier sale that arrives after it, and still flags that sale in order', async () => {
    // In order: 5, −2 → 3, −4 at 10:01 → −1 (B below zero), count at 10:02 sets 1 (corrects +2).
    const expected = {
      saleA: [],
      saleB: flagged,
      lineA: [],
      lineB: flagged,
      onHand: 1000,
      edgeOnHand: 1000,
      countDelta: 2000,
      ledgerSum: 1000,
      summedToLedger: true,
      results: ['applied', 'applied', 'applied', 'applied'],
    };
    for (const yAfter of [2, 3, 0, 1]) {
      expect({ yAfter, ...(await scenario('10:01', 4000, yAfter)) }).toEqual({ yAfter, ...expected });
    }
  });

  it('clears the flag of a later sale when the receipt that covers it arrives late', async () => {
    // Y's sale at 09:30 of 1: in order 5 → 4 → 2 → count 1 (corrects −1), never below zero. Pushed
    // before the receipt, it is flagged at first, and the receipt's arrival clears it.
    const expected = {
      saleA: [],
      saleB: [],
      lineA: [],
      lineB: [],
      onHand: 1000,
      edgeOnHand: 1000,
      countDelta: -1000,
      ledgerSum: 1000,
      summedToLedger: true,
      results: ['applied', 'applied', 'applied', 'applied'],
    };
    for (const yAfter of [1, 0]) {
      expect({ yAfter, ...(await scenario('09:30', 1000, yAfter)) }).toEqual({ yAfter, ...expected });
    }
  });

  it('orders rows of one instant as they reached the ledger: a sale and its refund recorded at once', async () => {
    for (let round = 0; round < 5; round++) {
      const productId = randomUUID();
      const device = await registerDevice(
        { db, orgId, actor: 'test' },
        { branch: 'MAIN', name: `Same ${round}` },
      );
      const edge = await createTestEdge({
        identity: { branch: 'MAIN', currency: 'EUR' },
        now: () => at('12:00'),
      });
      edges.push(edge);
      seedCatalog(edge.store, { products: [{ id: productId, sku: 'TEA', priceMinor: 100 }] });
      const terminal = `S${round}${run}`;
      const sold = edge.store.sales.recordSale({
        terminal,
        lines: [{ productId, qtyMilli: 1000 }],
        payments: [{ method: 'cash', amountMinor: 1000 }],
      });
      if (!sold.ok) throw new Error(sold.error.message);
      const refunded = edge.store.sales.recordRefund(sold.value.value.id, {
        terminal,
        lines: [{ lineNo: 1, qtyMilli: 1000 }],
        payments: [{ method: 'cash', amountMinor: sold.value.value.totalMinor }],
      });
      if (!refunded.ok) throw new Error(refunded.error.message);
      const outcome = await applyBatch(db, {
        deviceId: device.deviceId,
        scope,
        mutations: outboxMutations(edge.store),
      });
      expect(outcome.ok).toBe(true);
      const [sale] = await db.query<{ flags: string }>('SELECT flags FROM sales WHERE id = $1', [
        sold.value.value.id,
      ]);
      expect(JSON.parse(sale!.flags)).toContain('stock_below_zero');
    }
  });

  it('orders instants finer than a millisecond as Postgres does: two sales of one batch, recorded 0.1 ms apart in reverse', async () => {
    // On hand 3 from a receipt. A (seq first) at 10:00:00.0002 and B at 10:00:00.0001 each take 2: in
    // occurredAt order B leaves 1 and A −1, so A alone is below zero, though it reached the ledger first.
    const productId = randomUUID();
    const device = await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Fine' });
    const edge = await createTestEdge({
      identity: { branch: 'MAIN', currency: 'EUR' },
      now: () => at('09:00'),
    });
    edges.push(edge);
    seedCatalog(edge.store, { products: [{ id: productId, sku: 'TEA', priceMinor: 100 }] });
    const received = edge.store.stock.receive({ lines: [{ productId, qtyMilli: 3000, unitCostMinor: 50 }] });
    if (!received.ok) throw new Error(received.error.message);
    const sell = () => {
      const sold = edge.store.sales.recordSale({
        terminal: 'FINE',
        lines: [{ productId, qtyMilli: 2000 }],
        payments: [{ method: 'cash', amountMinor: 1000 }],
      });
      if (!sold.ok) throw new Error(sold.error.message);
      return sold.value.value.id;
    };
    const saleA = sell();
    const saleB = sell();
    const [receipt, ...sales] = outboxMutations(edge.store);
    const finer = { [saleA]: '2026-05-04T10:00:00.0002Z', [saleB]: '2026-05-04T10:00:00.0001Z' };
    for (const m of sales) {
      const doc = m.payload as { id: string; occurredAt: string };
      doc.occurredAt = finer[doc.id]!;
    }
    for (const mutations of [[receipt!], sales]) {
      const outcome = await applyBatch(db, { deviceId: device.deviceId, scope, mutations });
      expect(outcome.ok && outcome.results.map((r) => r.status)).toEqual(mutations.map(() => 'applied'));
    }
    const rows = await db.query<{ id: string; flags: string }>(
      'SELECT id, flags FROM sales WHERE id = ANY($1::text[])',
      [[saleA, saleB]],
    );
    const flagsOf = (id: string) => JSON.parse(rows.find((r) => r.id === id)!.flags) as string[];
    expect({ a: flagsOf(saleA), b: flagsOf(saleB) }).toEqual({ a: flagged, b: [] });
  });

  it('settles a push in time order from on hand alone, walks the ledger for a late row, and learns an instant not known', async () => {
    const productId = randomUUID();
    let clock = at('09:00');
    const till = async (name: string) => {
      const device = await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name });
      const edge = await createTestEdge({ identity: { branch: 'MAIN', currency: 'EUR' }, now: () => clock });
      edges.push(edge);
      seedCatalog(edge.store, { products: [{ id: productId, sku: 'TEA', priceMinor: 100 }] });
      return { deviceId: device.deviceId, store: edge.store };
    };
    const x = await till('Fast X');
    const y = await till('Fast Y');
    const received = x.store.stock.receive({ lines: [{ productId, qtyMilli: 5000, unitCostMinor: 50 }] });
    if (!received.ok) throw new Error(received.error.message);
    /** Pushes what `t` has not pushed yet, in one batch; says whether that read the ledger (the walk). */
    let pushed = 0;
    const push = async (t: typeof x) => {
      const statements: string[] = [];
      const record = (q: SqlQueryable): SqlQueryable => ({
        query: (sql, params) => {
          statements.push(sql);
          return q.query(sql, params);
        },
        queryArrays: (sql, params) => q.queryArrays(sql, params),
        exec: (sql) => q.exec(sql),
      });
      const recording: SqlDatabase = {
        ...record(db),
        transaction: (fn) => db.transaction((tx) => fn(record(tx))),
      };
      const mutations = outboxMutations(t.store).filter((m) => m.seq > (t === x ? pushed : 0));
      if (t === x) pushed += mutations.length;
      const outcome = await applyBatch(recording, { deviceId: t.deviceId, scope, mutations });
      expect(outcome.ok && outcome.results.map((r) => r.status)).toEqual(mutations.map(() => 'applied'));
      return statements.some((sql) => /JOIN stock_movements m ON/.test(sql)) ? 'walked' : 'from on hand';
    };
    const sell = (t: typeof x, hhmm: string) => {
      clock = at(hhmm);
      const sold = t.store.sales.recordSale({
        terminal: t === x ? 'FASTX' : 'FASTY',
        lines: [{ productId, qtyMilli: 1000 }],
        payments: [{ method: 'cash', amountMinor: 1000 }],
      });
      if (!sold.ok) throw new Error(sold.error.message);
    };
    const latest = async () => {
      const [row] = await db.query<{ at: Date | null }>(
        "SELECT max_occurred_at AS at FROM stock_on_hand WHERE branch_code = 'MAIN' AND product_id = $1",
        [productId],
      );
      return row?.at ? new Date(row.at).toISOString() : null;
    };

    const ways: string[] = [await push(x)]; // the receipt at 09:00, the product's first row
    sell(x, '10:00');
    ways.push(await push(x));
    sell(x, '10:00'); // the same instant as the sale before: after it, by its place
    ways.push(await push(x));
    sell(y, '09:30'); // earlier than what on hand has summed: walked
    ways.push(await push(y));
    // A product on hand from before tenant migration 0014: not known, walked once, then known.
    await db.query(
      "UPDATE stock_on_hand SET max_occurred_at = NULL WHERE branch_code = 'MAIN' AND product_id = $1",
      [productId],
    );
    sell(x, '11:00');
    ways.push(await push(x));
    const learnt = await latest();
    sell(x, '12:00');
    ways.push(await push(x));
    expect({ ways, learnt, latest: await latest() }).toEqual({
      ways: ['from on hand', 'from on hand', 'from on hand', 'walked', 'walked', 'from on hand'],
      learnt: '2026-05-04T11:00:00.000Z',
      latest: '2026-05-04T12:00:00.000Z',
    });
    const [hand] = await db.query<{ q: number; s: string }>(
      `SELECT h.qty_milli AS q, (SELECT sum(delta_qty_milli) FROM stock_movements m
                                  WHERE m.branch_code = h.branch_code AND m.product_id = h.product_id)::text AS s
         FROM stock_on_hand h WHERE h.branch_code = 'MAIN' AND h.product_id = $1`,
      [productId],
    );
    expect({ onHand: Number(hand!.q), ledgerSum: Number(hand!.s) }).toEqual({ onHand: 0, ledgerSum: 0 });
  });
});
