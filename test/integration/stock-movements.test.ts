// Stock beyond sales, end to end on every engine: goods received, adjustments, counts and transfers
// recorded through the edge's routes reach the cloud's on hand exactly once (a resend changes
// nothing), a transfer reaches the other branch's edge through pull, HQ's own stock writes reach the
// edges, reorder levels make lowStock real, and the inventory report answers movements by kind and
// a valuation at weighted average receipt cost, in JSON and CSV. HQ routes need a session, and a
// manager's role to write.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../../cloud/catalog/products.ts';
import { createBranch } from '../../cloud/catalog/reference-data.ts';
import { createUser } from '../../cloud/catalog/users.ts';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { applyBatch } from '../../cloud/sync/apply-batch.ts';
import { replayQuarantined } from '../../cloud/sync/quarantine.ts';
import { createEdgeApp } from '../../edge/http/app.ts';
import { connect } from '../../edge/sync/connection.ts';
import { syncOn } from '../../edge/sync/sync-client.ts';
import { startSyncLoop } from '../../edge/sync/sync-loop.ts';
import { call, cashierAt, createTestEdge, outboxMutations, type TestEdge } from '../helpers/edge.ts';
import { engineNames } from '../helpers/engines.ts';
import { useSyncTenant } from '../helpers/sync-tenant.ts';
import { waitFor } from '../helpers/wait.ts';

interface Edge {
  token: string;
  deviceId: string;
  edge: TestEdge;
  app: ReturnType<typeof createEdgeApp>;
  /** A cashier session at this edge (its own terminal, so each device owns the one it signs in at). */
  auth: Record<string, string>;
}

describe.each(engineNames)('stock beyond sales on %s', (engine) => {
  const tenant = useSyncTenant(engine, 'Stock');
  const edges: Edge[] = [];
  let main: Edge;
  let nyc: Edge;
  let tea: string;
  let mug: string;
  let owner: string;
  let viewer: string;

  const hq = async (method: string, path: string, body?: unknown, token = owner) => {
    const res = await fetch(`${tenant.url()}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
  const sync = async (e: Edge) => {
    const conn = await connect(tenant.url(), e.token);
    try {
      return await syncOn(conn, e.edge.store);
    } finally {
      conn.close();
    }
  };
  const newEdge = async (branch: string): Promise<Edge> => {
    const db = tenant.db();
    const device = await registerDevice({ db, orgId: tenant.orgId, actor: 'test' }, { branch, name: branch });
    const edge = await createTestEdge({ identity: { orgId: tenant.orgId, branch, currency: 'EUR' } });
    const app = createEdgeApp({ store: edge.store });
    const e = {
      token: device.token,
      deviceId: device.deviceId,
      edge,
      app,
      auth: await cashierAt(app, edge.store, `${branch}T1`),
    };
    edges.push(e);
    return e;
  };
  /** The edge's cashier API as its signed-in cashier. */
  const callAs = (e: Edge, method: string, path: string, body?: unknown) =>
    call(e.app, method, path, body, e.auth);
  const cloudOnHand = async (branch: string, productId: string) => {
    const rows = await tenant
      .db()
      .query<{ q: number }>(
        'SELECT qty_milli AS q FROM stock_on_hand WHERE branch_code = $1 AND product_id = $2',
        [branch, productId],
      );
    return rows[0] === undefined ? undefined : Number(rows[0].q);
  };
  const ledgerSum = async (branch: string, productId: string) => {
    const [row] = await tenant
      .db()
      .query<{ q: string | null }>(
        'SELECT sum(delta_qty_milli)::text AS q FROM stock_movements WHERE branch_code = $1 AND product_id = $2',
        [branch, productId],
      );
    return Number(row?.q ?? 0);
  };
  const edgeOnHand = (e: Edge, productId: string) => e.edge.store.stock.onHand(productId)[0]?.qtyMilli ?? 0;

  beforeAll(async () => {
    const db = tenant.db();
    const ctx = { db, actor: 'test' };
    await createBranch(ctx, { code: 'NYC', name: 'New York', timeZone: 'America/New_York' });
    tea = (await createProduct(ctx, { sku: 'TEA', name: 'Tea', priceMinor: 300 })).id;
    mug = (await createProduct(ctx, { sku: 'MUG', name: 'Mug', priceMinor: 1200 })).id;
    await createUser(ctx, {
      name: 'Mia',
      email: 'mia@stock.example',
      password: 'manager-pass-1',
      role: 'manager',
    });
    await createUser(ctx, {
      name: 'Vic',
      email: 'vic@stock.example',
      password: 'viewer-pass-1',
      role: 'viewer',
    });
    const login = async (email: string, password: string) => {
      const res = await fetch(`${tenant.url()}/v1/orgs/${tenant.orgId}/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      return ((await res.json()) as { token: string }).token;
    };
    owner = await login('mia@stock.example', 'manager-pass-1');
    viewer = await login('vic@stock.example', 'viewer-pass-1');
    main = await newEdge('MAIN');
    nyc = await newEdge('NYC');
    // The catalog (products, branches) comes down with the first sync.
    await sync(main);
    await sync(nyc);
  }, 120_000);
  afterAll(() => {
    for (const e of edges) e.edge.destroy();
  });

  it('records each kind at the edge and the cloud holds each movement once, across a resend', async () => {
    const receipt = await callAs(main, 'POST', '/v1/stock/receipts', {
      note: 'Delivery 4711',
      lines: [
        { productId: tea, qtyMilli: 20_000, unitCostMinor: 120 },
        { productId: mug, qtyMilli: 4000, unitCostMinor: 500 },
      ],
    });
    expect(receipt.status).toBe(201);
    const adjustment = await callAs(main, 'POST', '/v1/stock/adjustments', {
      reason: 'Broken in the back room',
      lines: [{ productId: mug, deltaQtyMilli: -1000 }],
    });
    expect(adjustment.status).toBe(201);
    const count = await callAs(main, 'POST', '/v1/stock/counts', {
      lines: [{ productId: tea, countedQtyMilli: 18_000 }],
    });
    expect(count.status).toBe(201);
    // A repeated id answers the first document, 200, and records nothing more.
    const again = await callAs(main, 'POST', '/v1/stock/counts', {
      id: count.body.id,
      lines: [{ productId: tea, countedQtyMilli: 1 }],
    });
    expect(again).toEqual({ status: 200, body: count.body });
    expect(edgeOnHand(main, tea)).toBe(18_000);
    expect(edgeOnHand(main, mug)).toBe(3000);

    expect(await sync(main)).toMatchObject({ pushed: 3, rejected: 0 });
    expect(await cloudOnHand('MAIN', tea)).toBe(18_000);
    expect(await cloudOnHand('MAIN', mug)).toBe(3000);
    // A resend of everything (the edge lost its acks) is `duplicate` each: nothing moves twice.
    const sent = outboxMutations(main.edge.store);
    main.edge.store.outbox.reopenFrom(1);
    expect(await sync(main)).toMatchObject({ pushed: 0, duplicates: sent.length, rejected: 0 });
    expect(await cloudOnHand('MAIN', tea)).toBe(18_000);
    expect(await cloudOnHand('MAIN', mug)).toBe(3000);
    expect(await ledgerSum('MAIN', tea)).toBe(18_000);
    const [docs] = await tenant.db().query<{ n: number }>('SELECT count(*)::int4 AS n FROM stock_documents');
    expect(docs?.n).toBe(3);
  });

  it('moves stock between branches, and the other branch learns it through pull', async () => {
    const sent = await callAs(main, 'POST', '/v1/stock/transfers', {
      toBranch: 'NYC',
      lines: [{ productId: tea, qtyMilli: 5000 }],
    });
    expect(sent.status).toBe(201);
    expect(edgeOnHand(main, tea)).toBe(13_000);
    await sync(main);
    expect(await cloudOnHand('MAIN', tea)).toBe(13_000);
    expect(await cloudOnHand('NYC', tea)).toBe(5000);
    expect(edgeOnHand(nyc, tea)).toBe(0);
    await sync(nyc);
    expect(edgeOnHand(nyc, tea)).toBe(5000);
    // NYC's edge holds NYC's ledger only: the transfer's arrival, nothing of MAIN's.
    const held = nyc.edge.store.database.sqlite
      .prepare('SELECT branch_code AS branch, reason, delta_qty_milli AS delta FROM stock_movements')
      .all();
    expect(held).toEqual([{ branch: 'NYC', reason: 'transfer', delta: 5000 }]);
    // Pulling again brings nothing twice, and the sending edge never gets its own rows back twice.
    await sync(nyc);
    await sync(main);
    expect(edgeOnHand(nyc, tea)).toBe(5000);
    expect(edgeOnHand(main, tea)).toBe(13_000);
  });

  it("keeps a running agent's on hand current: stock recorded elsewhere comes down after its own push", async () => {
    const loop = startSyncLoop(nyc.edge.store, { cloudUrl: tenant.url(), token: nyc.token });
    try {
      const received = await hq('POST', '/v1/stock/receipts', {
        branch: 'NYC',
        lines: [{ productId: mug, qtyMilli: 2000, unitCostMinor: 500 }],
      });
      expect(received.status).toBe(201);
      // The till records something and pushes it; its pull after the push brings HQ's receipt.
      const counted = nyc.edge.store.stock.adjust({
        reason: 'Found',
        lines: [{ productId: tea, deltaQtyMilli: 1000 }],
      });
      expect(counted.ok).toBe(true);
      loop.kick();
      await waitFor(() => edgeOnHand(nyc, mug) === 2000, 20_000, "HQ's receipt at the NYC edge");
      await waitFor(() => nyc.edge.store.outbox.status(new Date()).pending === 0, 20_000, 'the push');
    } finally {
      await loop.stop();
    }
    expect(edgeOnHand(nyc, tea)).toBe(6000);
    expect(await cloudOnHand('NYC', tea)).toBe(6000);
    expect(await cloudOnHand('NYC', mug)).toBe(2000);
  });

  it("brings HQ's stock writes and another till's sales of the branch down to the edge", async () => {
    const other = await newEdge('MAIN');
    await sync(other);
    expect(edgeOnHand(other, tea)).toBe(13_000);
    const sold = other.edge.store.sales.recordSale({
      terminal: 'T9',
      lines: [{ productId: tea, qtyMilli: 2000 }],
      payments: [{ method: 'cash', amountMinor: 600 }],
    });
    expect(sold.ok).toBe(true);
    await sync(other);
    const received = await hq('POST', '/v1/stock/receipts', {
      branch: 'MAIN',
      lines: [{ productId: tea, qtyMilli: 10_000, unitCostMinor: 150 }],
    });
    expect(received.status).toBe(201);
    expect(await cloudOnHand('MAIN', tea)).toBe(21_000);
    await sync(main);
    expect(edgeOnHand(main, tea)).toBe(21_000);
    await sync(other);
    expect(edgeOnHand(other, tea)).toBe(21_000);
  });

  it('makes lowStock real with a reorder level, and reports movements by kind and a valuation', async () => {
    const level = await hq('PUT', '/v1/stock/reorder-levels', {
      branch: 'MAIN',
      productId: mug,
      levelMilli: 3000,
    });
    expect(level.status).toBe(200);
    const report = await hq('GET', '/v1/reports/inventory?branch=MAIN');
    expect(report.status).toBe(200);
    const row = (id: string) => report.body.rows.find((r: { productId: string }) => r.productId === id);
    expect(row(mug)).toMatchObject({
      qtyMilli: 3000,
      reorderLevelMilli: 3000,
      lowStock: true,
      belowZero: false,
    });
    expect(row(tea)).toMatchObject({ qtyMilli: 21_000, reorderLevelMilli: null, lowStock: false });
    // Tea received 20 at 1.20 and 10 at 1.50: 1.30 a unit on average; 21 units are worth 27.30.
    expect(row(tea)).toMatchObject({ unitCostMinor: 130, valueMinor: 2730 });
    expect(row(mug)).toMatchObject({ unitCostMinor: 500, valueMinor: 1500 });
    expect(report.body.valuationMinor).toBe(2730 + 1500);
    const kinds = Object.fromEntries(
      report.body.movements.map((m: { kind: string; qtyMilli: number; movements: number }) => [
        m.kind,
        [m.movements, m.qtyMilli],
      ]),
    );
    expect(kinds).toEqual({
      adjust: [1, -1000],
      count: [1, -2000],
      receive: [3, 34_000],
      sale: [1, -2000],
      transfer_out: [1, -5000],
    });
    const csv = await fetch(`${tenant.url()}/v1/reports/inventory?branch=MAIN`, {
      headers: { authorization: `Bearer ${owner}`, accept: 'text/csv' },
    }).then((r) => r.text());
    expect(csv.split('\n')[0]).toContain('reorderLevelMilli');
    expect(csv).toContain(`MAIN,${tea},TEA,Tea,21000,,false,false,130,2730`);
    const movements = await fetch(`${tenant.url()}/v1/reports/inventory?branch=MAIN&view=movements`, {
      headers: { authorization: `Bearer ${owner}`, accept: 'text/csv' },
    }).then((r) => r.text());
    expect(movements).toContain('MAIN,transfer_out,1,-5000');
  });

  it("refuses a till's stock document for another branch: a transfer out of NYC pushed by MAIN's device", async () => {
    const mutation = {
      seq: main.edge.store.outbox.lastAssigned() + 1,
      id: crypto.randomUUID(),
      kind: 'stock_transfer',
      payload: {},
    };
    mutation.payload = {
      id: mutation.id,
      branch: 'NYC',
      toBranch: 'MAIN',
      occurredAt: new Date().toISOString(),
      actor: null,
      note: null,
      lines: [{ lineNo: 1, productId: tea, qtyMilli: 5000 }],
    };
    const outcome = await applyBatch(tenant.db(), {
      deviceId: main.deviceId,
      scope: { branchCode: 'MAIN', currency: 'EUR' },
      mutations: [mutation],
    });
    expect(outcome).toMatchObject({ ok: true, results: [{ status: 'rejected', code: 'wrong_branch' }] });
    expect(await cloudOnHand('NYC', tea)).toBe(6000);
    expect(await cloudOnHand('MAIN', tea)).toBe(21_000);
  });

  it('quarantines a transfer to a branch the tenant lacks, and applies it once when HQ replays it', async () => {
    const [device] = await tenant
      .db()
      .query<{ last: number }>('SELECT last_applied_seq AS last FROM devices WHERE id = $1', [main.deviceId]);
    const id = crypto.randomUUID();
    const mutation = {
      seq: Number(device!.last) + 1,
      id,
      kind: 'stock_transfer',
      payload: {
        id,
        branch: 'MAIN',
        toBranch: 'LATER',
        occurredAt: new Date().toISOString(),
        actor: null,
        note: null,
        lines: [{ lineNo: 1, productId: mug, qtyMilli: 1000 }],
      },
    };
    const push = () =>
      applyBatch(tenant.db(), {
        deviceId: main.deviceId,
        scope: { branchCode: 'MAIN', currency: 'EUR' },
        mutations: [mutation],
      });
    expect(await push()).toMatchObject({
      ok: true,
      results: [{ status: 'rejected', code: 'unknown_branch' }],
    });
    expect(await cloudOnHand('MAIN', mug)).toBe(3000);
    await createBranch({ db: tenant.db(), actor: 'test' }, { code: 'LATER', name: 'Later', timeZone: 'UTC' });
    const [q] = await tenant
      .db()
      .query<{ id: string }>('SELECT id FROM sync_quarantine WHERE mutation_id = $1', [id]);
    expect(await replayQuarantined({ db: tenant.db(), actor: 'hq' }, q!.id)).toEqual({ status: 'applied' });
    // A resend of the same seq is now a duplicate: the transfer moved stock once.
    expect(await push()).toMatchObject({ ok: true, results: [{ status: 'duplicate' }] });
    expect(await cloudOnHand('MAIN', mug)).toBe(2000);
    expect(await cloudOnHand('LATER', mug)).toBe(1000);
  });

  it('lets only a session write stock at HQ, and only with the manager role', async () => {
    const body = { branch: 'MAIN', reason: 'Theft', lines: [{ productId: tea, deltaQtyMilli: -1000 }] };
    expect((await hq('POST', '/v1/stock/adjustments', body, 'garbage')).status).toBe(401);
    const denied = await hq('POST', '/v1/stock/adjustments', body, viewer);
    expect(denied.status).toBe(403);
    expect(
      (await hq('PUT', '/v1/stock/reorder-levels', { branch: 'MAIN', productId: tea, levelMilli: 1 }, viewer))
        .status,
    ).toBe(403);
    expect((await hq('GET', '/v1/stock?branch=MAIN', undefined, viewer)).status).toBe(200);
    expect(await cloudOnHand('MAIN', tea)).toBe(21_000);
    const unknown = await hq('POST', '/v1/stock/transfers', {
      branch: 'MAIN',
      toBranch: 'NOPE',
      lines: [{ productId: tea, qtyMilli: 1 }],
    });
    expect(unknown.status).toBe(404);
    expect(await cloudOnHand('MAIN', tea)).toBe(21_000);
  });
});
