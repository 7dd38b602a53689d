// Refunds by the receipt number another till printed, over real HTTP and sync, on every engine: the
// cloud answers a device the tenant's document with that number (GET /v1/device/receipts/:receiptNo,
// any branch, never another tenant's); an edge that did not print the receipt asks it by number
// from the register's look-up (GET /v1/receipts/:receiptNo), keeps the copy, and refunds chosen
// lines of it; the refund syncs and the cloud takes it against the original; with the cloud offline
// and no copy the edge says so ("not on this till and the cloud is offline") and writes nothing.
import { createServer, type Server, type Socket } from 'node:net';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBranch } from '../../cloud/catalog/reference-data.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { createEdgeApp } from '../../edge/http/app.ts';
import { cloudOriginals } from '../../edge/sync/fetch-original.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { SaleDocument } from '../../src/protocol/mutations.ts';
import { call, rowCounts } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { createTill, syncTill, type Till } from '../helpers/sync.ts';

/** A cloud address nothing listens on: connection refused at once. */
const DEAD_CLOUD = 'http://127.0.0.1:1';

/** A TCP server that answers every request with `reply` (raw bytes), then drops the socket. */
async function fakeCloud(reply: string): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    s.once('data', () => s.end(reply, () => s.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(engineNames)('refunds by receipt number at any till on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer;
  const orgA = uniqueId('receipt');
  const orgB = uniqueId('other');
  let dbA: ClosableSqlDatabase;
  let dbB: ClosableSqlDatabase;
  const tills: Till[] = [];
  let seller: Till;
  let refunder: Till;
  let north: Till;
  let foreign: Till;
  const url = () => `http://127.0.0.1:${server.port}`;

  /** The till's register and cashier API (open mode), asking the cloud at `cloudUrl`. */
  const app = (till: Till, cloudUrl = url()): Hono =>
    createEdgeApp({
      store: till.edge.store,
      openCashierApi: true,
      fetchOriginal: cloudOriginals(cloudUrl, till.token, { timeoutMs: 5_000 }),
      syncConnected: () => cloudUrl === url(),
    });
  const online = (till: Till) => app(till);
  const offline = (till: Till) => app(till, DEAD_CLOUD);

  /** A sale at the seller of 3 mugs (3.00 each) and 2 teas (1.20 each), pushed to the cloud. */
  const sellAndPush = async (): Promise<SaleDocument> => {
    const sold = seller.edge.store.sales.recordSale({
      terminal: seller.terminal,
      lines: [
        { name: 'Mug', unitPriceMinor: 250, qtyMilli: 3000, taxRateBp: 2000 },
        { name: 'Tea', unitPriceMinor: 100, qtyMilli: 2000, taxRateBp: 2000 },
      ],
      payments: [{ method: 'cash', amountMinor: 1140 }],
    });
    if (!sold.ok) throw new Error(sold.error.message);
    await syncTill(url(), seller);
    return seller.outbox().at(-1)!.payload as SaleDocument;
  };
  const copies = (till: Till) =>
    (
      till.edge.store.database.sqlite.prepare('SELECT count(*) AS n FROM original_copies').get() as {
        n: number;
      }
    ).n;
  /** Refunds line `lineNo` (`units` of it) at `till` as the register page does: quote, then record. */
  const refundLine = async (edgeApp: Hono, till: Till, saleId: string, lineNo: number, units: number) => {
    const lines = [{ lineNo, qtyMilli: units * 1000 }];
    const quote = await call(edgeApp, 'POST', `/v1/sales/${saleId}/refunds/quote`, { lines });
    expect(quote.status).toBe(200);
    return call(edgeApp, 'POST', `/v1/sales/${saleId}/refunds`, {
      terminal: till.terminal,
      lines,
      payments: [{ method: 'cash', amountMinor: quote.body.totalMinor }],
    });
  };
  const cloudGet = (path: string, token?: string) =>
    fetch(`${url()}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {}).then(
      async (r) => ({
        status: r.status,
        // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies by path
        body: (await r.json()) as any,
      }),
    );

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId: orgA, name: 'By receipt', currency: 'EUR' });
    await onboardTenant(p.tenants, { orgId: orgB, name: 'Other', currency: 'EUR' });
    dbA = p.engine.openDatabase(tenantDatabaseName(orgA));
    dbB = p.engine.openDatabase(tenantDatabaseName(orgB));
    await createBranch({ db: dbA, actor: 'test' }, { code: 'NORTH', name: 'North', timeZone: 'UTC' });
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: `mpa_${orgA}_${'x'.repeat(24)}`,
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
    });
    tills.push(await createTill(dbA, orgA, 'Seller'));
    tills.push(await createTill(dbA, orgA, 'Refunder'));
    tills.push(await createTill(dbA, orgA, 'North', 'NORTH'));
    tills.push(await createTill(dbB, orgB, 'Foreign'));
    [seller, refunder, north, foreign] = tills as [Till, Till, Till, Till];
    for (const till of tills) await syncTill(url(), till);
  });
  afterAll(async () => {
    for (const till of tills) till.edge.destroy();
    await server?.stop().catch(() => {});
    await dbA?.close();
    await dbB?.close();
    await p?.destroy();
  });

  it("refunds a chosen line by another till's receipt number, here and at another branch, and the cloud takes both against the original", async () => {
    const sale = await sellAndPush();
    // Till B never saw the sale: the look-up asks the cloud by number and keeps the copy.
    expect(refunder.edge.store.documents.read(sale.id)).toBeUndefined();
    const looked = await call(online(refunder), 'GET', `/v1/receipts/${sale.receiptNo}`);
    expect(looked).toMatchObject({
      status: 200,
      body: { sale: { id: sale.id, receiptNo: sale.receiptNo, terminal: seller.terminal }, refunded: [] },
    });
    expect(copies(refunder)).toBe(1);
    const tea = await refundLine(online(refunder), refunder, sale.id, 2, 1);
    expect(tea).toMatchObject({
      status: 201,
      body: { kind: 'refund', originalSaleId: sale.id, terminal: refunder.terminal, totalMinor: 120 },
    });
    expect(tea.body.lines.map((l: { originalLineNo: number }) => l.originalLineNo)).toEqual([2]);
    expect(await syncTill(url(), refunder)).toMatchObject({ rejected: 0, held: 0 });
    // Looked up again, the line shows what was refunded of it.
    expect((await call(online(refunder), 'GET', `/v1/receipts/${sale.receiptNo}`)).body.refunded).toEqual([
      { lineNo: 2, qtyMilli: 1000 },
    ]);

    // A till of another branch finds it too, and sees what till B refunded.
    const atNorth = await call(online(north), 'GET', `/v1/receipts/${sale.receiptNo}`);
    expect(atNorth).toMatchObject({ status: 200, body: { sale: { id: sale.id, branch: 'MAIN' } } });
    expect(atNorth.body.refunded).toEqual([{ lineNo: 2, qtyMilli: 1000 }]);
    const over = await refundLine(online(north), north, sale.id, 2, 1);
    expect(over.status).toBe(201);
    expect(
      (
        await call(online(north), 'POST', `/v1/sales/${sale.id}/refunds/quote`, {
          lines: [{ lineNo: 2, qtyMilli: 1000 }],
        })
      ).body,
    ).toMatchObject({ error: { code: 'refund_exceeds_sold' } });
    const mugs = await refundLine(online(north), north, sale.id, 1, 2);
    expect(mugs).toMatchObject({ status: 201, body: { totalMinor: 600, branch: 'NORTH' } });
    expect(await syncTill(url(), north)).toMatchObject({ rejected: 0, held: 0 });

    const stored = await dbA.query<{
      device_id: string;
      original_line_no: number;
      qty_milli: number;
      flags: string;
    }>(
      `SELECT s.device_id, l.original_line_no, l.qty_milli, s.flags
         FROM sales s JOIN sale_lines l ON l.sale_id = s.id
        WHERE s.original_sale_id = $1 AND s.kind = 'refund' ORDER BY s.received_at, l.line_no`,
      [sale.id],
    );
    expect(
      stored.map((r) => [r.device_id, Number(r.original_line_no), Number(r.qty_milli), JSON.parse(r.flags)]),
    ).toEqual([
      [refunder.deviceId, 2, 1000, []],
      [north.deviceId, 2, 1000, []],
      [north.deviceId, 1, 2000, []],
    ]);
    // A refund's own receipt number is found, and refunding it is refused.
    const refundNo = tea.body.receiptNo as string;
    const ofRefund = await call(online(north), 'GET', `/v1/receipts/${refundNo}`);
    expect(ofRefund).toMatchObject({
      status: 200,
      body: { sale: { kind: 'refund', originalSaleId: sale.id } },
    });
    expect(
      await call(online(north), 'POST', `/v1/sales/${tea.body.id}/refunds/quote`, {
        lines: [{ lineNo: 1, qtyMilli: 1000 }],
      }),
    ).toMatchObject({ status: 409, body: { error: { code: 'not_refundable' } } });
  });

  it("answers a device only its own tenant's receipts, by any branch's token, bounded and with a clear 404", async () => {
    const sale = await sellAndPush();
    const path = `/v1/device/receipts/${sale.receiptNo}`;
    expect(await cloudGet(path, refunder.token)).toMatchObject({
      status: 200,
      body: { sale: { id: sale.id, receiptNo: sale.receiptNo }, refundedElsewhere: [] },
    });
    expect(await cloudGet(path, north.token)).toMatchObject({ status: 200, body: { sale: { id: sale.id } } });
    // Another tenant's device: routed to its own tenant, which holds no such receipt.
    expect(await cloudGet(path, foreign.token)).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found', details: { receiptNo: sale.receiptNo } } },
    });
    expect((await cloudGet(path, foreign.token)).body.error.message).toBe(
      `no receipt ${sale.receiptNo} in this tenant`,
    );
    // A forged token (another tenant's org), a wrong secret, no token: unauthorized.
    expect(await cloudGet(path, foreign.token.replace(orgB, orgA))).toMatchObject({ status: 401 });
    expect(await cloudGet(path, `${refunder.token.slice(0, -4)}AAAA`)).toMatchObject({ status: 401 });
    expect(await cloudGet(path)).toMatchObject({ status: 401 });
    // Control characters and numbers over the bound name no receipt; an unknown number neither.
    for (const bad of ['MAIN-T1%01-000001', 'A'.repeat(65), 'MAIN-NOPE-000001']) {
      expect(await cloudGet(`/v1/device/receipts/${bad}`, refunder.token), bad).toMatchObject({
        status: 404,
        body: { error: { code: 'not_found' } },
      });
    }
    expect((await cloudGet('/v1/device/receipts/MAIN-T1%01-000001', refunder.token)).body.error.message).toBe(
      'no such receipt',
    );

    // The foreign till's register: not found, nothing kept, nothing written.
    const before = rowCounts(foreign.edge.store);
    expect(await call(online(foreign), 'GET', `/v1/receipts/${sale.receiptNo}`)).toMatchObject({
      status: 404,
      body: { error: { code: 'sale_not_found' } },
    });
    expect((await call(online(foreign), 'GET', `/v1/receipts/${sale.receiptNo}`)).body.error.message).toMatch(
      /^no receipt ".+" on this till or in the cloud$/,
    );
    expect(rowCounts(foreign.edge.store)).toEqual(before);
    expect(copies(foreign)).toBe(0);
  });

  it('says the receipt is not on this till and the cloud is offline, writes nothing, and works offline from a copy kept online', async () => {
    const sale = await sellAndPush();
    const fresh = await createTill(dbA, orgA, 'Fresh');
    tills.push(fresh);
    const before = rowCounts(fresh.edge.store);
    const refused = await call(offline(fresh), 'GET', `/v1/receipts/${sale.receiptNo}`);
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'original_unavailable' } } });
    expect(refused.body.error.message).toMatch(
      /^receipt ".+" is not on this till and the cloud is offline \(.+\); try again when online/,
    );
    expect(rowCounts(fresh.edge.store)).toEqual(before);
    expect(copies(fresh)).toBe(0);

    // A cloud without the route (an older one) is not taken for "no such receipt".
    const noRoute = JSON.stringify({
      error: { code: 'not_found', message: 'no route for GET /v1/device/x' },
    });
    const older = await fakeCloud(
      `HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${noRoute.length}\r\nconnection: close\r\n\r\n${noRoute}`,
    );
    try {
      const res = await call(app(fresh, older.url), 'GET', `/v1/receipts/${sale.receiptNo}`);
      expect(res).toMatchObject({ status: 409, body: { error: { code: 'original_unavailable' } } });
      expect(res.body.error.message).toMatch(/older cloud/);
    } finally {
      await older.close();
    }

    // Looked up online, the copy serves the look-up and the refund once the cloud is gone.
    expect((await call(online(fresh), 'GET', `/v1/receipts/${sale.receiptNo}`)).status).toBe(200);
    const kept = await call(offline(fresh), 'GET', `/v1/receipts/${sale.receiptNo}`);
    expect(kept).toMatchObject({ status: 200, body: { sale: { id: sale.id } } });
    const refund = await refundLine(offline(fresh), fresh, sale.id, 1, 1);
    expect(refund).toMatchObject({ status: 201, body: { totalMinor: 300 } });
    expect(await syncTill(url(), fresh)).toMatchObject({ rejected: 0, held: 0 });
    const [stored] = await dbA.query<{ original_sale_id: string }>(
      'SELECT original_sale_id FROM sales WHERE id = $1',
      [refund.body.id],
    );
    expect(stored?.original_sale_id).toBe(sale.id);
  });
});
