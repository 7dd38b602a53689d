// Refunds at any till, over real HTTP and sync, on every engine: an edge refunds a sale another till
// recorded by fetching it from the cloud with its device token (GET /v1/device/sales/:id), keeps a
// copy that serves later refunds offline and counts in none of its own lists, reports or outbox;
// offline without a copy it refuses (409 original_unavailable) and writes nothing; tills that
// refunded the same goods while both were offline are both accepted, the later one flagged
// `refund_exceeds_sold`; no device reads another tenant's sales; and a cloud that fails mid-fetch
// leaves either a 409 or a whole refund, never half of one.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { flagsReport } from '../../cloud/reports/flags.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { createEdgeApp } from '../../edge/http/app.ts';
import { cloudOriginals } from '../../edge/sync/fetch-original.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { SaleDocument } from '../../src/protocol/mutations.ts';
import { call, rowCounts } from '../helpers/edge.ts';
import { startEdgeProcess } from '../helpers/edge-process.ts';
import { createTestPlatform, engineNames, PG_URL, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { createTill, syncTill, type Till } from '../helpers/sync.ts';

/** A cloud address nothing listens on: connection refused at once. */
const DEAD_CLOUD = 'http://127.0.0.1:1';

/** A TCP server that answers every request with `reply` (raw bytes), then drops the socket, or never answers. */
async function fakeCloud(reply: string | null): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => s.destroy());
    s.once('data', () => {
      if (reply !== null) s.end(reply, () => s.destroy());
    });
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

describe.each(engineNames)('refunds at any till on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer;
  const orgA = uniqueId('anytill');
  const orgB = uniqueId('other');
  let dbA: ClosableSqlDatabase;
  let dbB: ClosableSqlDatabase;
  const tills: Till[] = [];
  let seller: Till;
  let e2: Till;
  let e3: Till;
  let foreign: Till;
  const url = () => `http://127.0.0.1:${server.port}`;

  /**
   * The till's cashier API, asking the cloud at `cloudUrl` for other tills' sales. Open mode: this
   * suite is about the original and its copy; cashier sessions have their own suite.
   */
  const app = (till: Till, cloudUrl = url(), timeoutMs = 5_000): Hono =>
    createEdgeApp({
      store: till.edge.store,
      openCashierApi: true,
      fetchOriginal: cloudOriginals(cloudUrl, till.token, { timeoutMs }),
      syncConnected: () => cloudUrl === url(),
    });
  const online = (till: Till) => app(till);
  const offline = (till: Till) => app(till, DEAD_CLOUD);

  /** A sale at the seller of `units` mugs at 2.50 + 20% tax (3.00 each), pushed to the cloud. */
  const sellAndPush = async (units: number): Promise<SaleDocument> => {
    const sold = seller.edge.store.sales.recordSale({
      terminal: seller.terminal,
      lines: [{ name: 'Mug', unitPriceMinor: 250, qtyMilli: units * 1000, taxRateBp: 2000 }],
      payments: [{ method: 'cash', amountMinor: units * 300 }],
    });
    if (!sold.ok) throw new Error(sold.error.message);
    await syncTill(url(), seller);
    return seller.outbox().at(-1)!.payload as SaleDocument;
  };
  const refundBody = (till: Till, units: number, id?: string) => ({
    ...(id ? { id } : {}),
    terminal: till.terminal,
    lines: [{ lineNo: 1, qtyMilli: units * 1000 }],
    payments: [{ method: 'cash', amountMinor: units * 300 }],
  });
  const copies = (till: Till) =>
    (
      till.edge.store.database.sqlite.prepare('SELECT count(*) AS n FROM original_copies').get() as {
        n: number;
      }
    ).n;
  const cloudRefunds = (saleId: string) =>
    dbA.query<{ id: string; device_id: string; total_minor: number; flags: string; paid: number }>(
      `SELECT s.id, s.device_id, s.total_minor, s.flags,
              (SELECT coalesce(sum(amount_minor), 0) FROM payments p WHERE p.sale_id = s.id)::int8 AS paid
         FROM sales s WHERE s.original_sale_id = $1 ORDER BY s.received_at, s.receipt_no`,
      [saleId],
    );
  const statuses = async (till: Till) => {
    const summary = await syncTill(url(), till);
    return summary;
  };

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId: orgA, name: 'Any till', currency: 'EUR' });
    await onboardTenant(p.tenants, { orgId: orgB, name: 'Other', currency: 'EUR' });
    dbA = p.engine.openDatabase(tenantDatabaseName(orgA));
    dbB = p.engine.openDatabase(tenantDatabaseName(orgB));
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: `mpa_${orgA}_${'x'.repeat(24)}`,
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
    });
    for (const name of ['Seller', 'Two', 'Three']) tills.push(await createTill(dbA, orgA, name));
    tills.push(await createTill(dbB, orgB, 'Foreign'));
    [seller, e2, e3, foreign] = tills as [Till, Till, Till, Till];
    for (const till of tills) await syncTill(url(), till);
  });
  afterAll(async () => {
    for (const till of tills) till.edge.destroy();
    await server?.stop().catch(() => {});
    await dbA?.close();
    await dbB?.close();
    await p?.destroy();
  });

  it("refunds another till's sale online, keeps the copy, and refunds it again offline from the copy", async () => {
    const sale = await sellAndPush(3);
    const shift = await call(online(e2), 'POST', '/v1/shifts', {
      terminal: e2.terminal,
      openingFloatMinor: 1000,
    });
    expect(shift.status).toBe(201);
    const looked = await call(online(e2), 'GET', `/v1/sales/${sale.id}`);
    expect(looked).toMatchObject({ status: 200, body: { id: sale.id, terminal: seller.terminal } });
    const first = await call(online(e2), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(e2, 1));
    expect(first).toMatchObject({
      status: 201,
      body: { kind: 'refund', originalSaleId: sale.id, terminal: e2.terminal, totalMinor: 300 },
    });
    expect(copies(e2)).toBe(1);
    // Offline now: the copy serves the next refund, and the edge refuses what it can see is too much.
    const second = await call(offline(e2), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(e2, 1));
    expect(second).toMatchObject({ status: 201, body: { totalMinor: 300 } });
    const before = rowCounts(e2.edge.store);
    const tooMuch = await call(offline(e2), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(e2, 2));
    expect(tooMuch).toMatchObject({ status: 409, body: { error: { code: 'refund_exceeds_sold' } } });
    expect(rowCounts(e2.edge.store)).toEqual(before);
    expect(await call(offline(e2), 'GET', `/v1/sales/${sale.id}`)).toMatchObject({
      status: 200,
      body: { id: sale.id },
    });

    // The copy is in none of this edge's lists, reports, receipt series or outbox.
    const list = await call(offline(e2), 'GET', '/v1/sales?limit=500');
    expect(list.body.sales.map((s: { id: string }) => s.id)).not.toContain(sale.id);
    expect(list.body.sales.filter((s: { kind: string }) => s.kind === 'sale')).toEqual([]);
    const x = await call(offline(e2), 'GET', `/v1/shifts/${shift.body.id}/x-report`);
    expect(x.body).toMatchObject({
      salesCount: 0,
      salesTotalMinor: 0,
      refundsCount: 2,
      refundsTotalMinor: 600,
    });
    expect(e2.outbox().map((m) => m.kind)).toEqual(['shift_open', 'refund', 'refund']);
    expect(e2.outbox().some((m) => m.id === sale.id)).toBe(false);
    const series = (rowCounts(e2.edge.store).sequences as { name: string }[]).map((s) => s.name);
    expect(series.filter((n) => n.includes(':sale'))).toEqual([]);

    const summary = await statuses(e2);
    expect(summary).toMatchObject({ pushed: 3, rejected: 0, held: 0 });
    const stored = await cloudRefunds(sale.id);
    expect(stored.map((r) => [r.device_id, Number(r.total_minor), JSON.parse(r.flags)])).toEqual([
      [e2.deviceId, 300, []],
      [e2.deviceId, 300, []],
    ]);
  });

  it('refuses offline without the original (409, nothing written), 404 for a sale the cloud does not know, and sees what other tills refunded', async () => {
    const sale = await sellAndPush(3);
    await call(online(e2), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(e2, 2));
    await syncTill(url(), e2);
    const before = rowCounts(e3.edge.store);
    const refused = await call(offline(e3), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(e3, 1));
    expect(refused).toMatchObject({ status: 409, body: { error: { code: 'original_unavailable' } } });
    expect(refused.body.error.message).toMatch(/not recorded at this till.*cannot reach the cloud/);
    expect(await call(offline(e3), 'GET', `/v1/sales/${sale.id}`)).toMatchObject({
      status: 409,
      body: { error: { code: 'original_unavailable' } },
    });
    const unknown = crypto.randomUUID();
    expect(await call(online(e3), 'POST', `/v1/sales/${unknown}/refunds`, refundBody(e3, 1))).toMatchObject({
      status: 404,
      body: { error: { code: 'sale_not_found' } },
    });
    const e2Refund = e2.outbox().at(-1)!.id;
    expect(await call(online(e3), 'POST', `/v1/sales/${e2Refund}/refunds`, refundBody(e3, 1))).toMatchObject({
      status: 409,
      body: { error: { code: 'not_refundable' } },
    });
    expect(rowCounts(e3.edge.store)).toEqual(before);
    expect(copies(e3)).toBe(0);

    // Online, it learns that another till refunded 2 of the 3: 2 more is too much, the last one is fine.
    expect(await call(online(e3), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(e3, 2))).toMatchObject({
      status: 409,
      body: { error: { code: 'refund_exceeds_sold' } },
    });
    expect(rowCounts(e3.edge.store)).toEqual(before);
    const last = await call(online(e3), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(e3, 1));
    expect(last.status).toBe(201);
    expect((e3.outbox().at(-1)!.payload as SaleDocument).refundedElsewhere).toEqual([
      { lineNo: 1, qtyMilli: 2000 },
    ]);
    expect(await statuses(e3)).toMatchObject({ rejected: 0, held: 0 });
    const stored = await cloudRefunds(sale.id);
    expect(stored.map((r) => JSON.parse(r.flags))).toEqual([[], []]);
    expect(stored.reduce((sum, r) => sum + Number(r.total_minor), 0)).toBe(sale.totalMinor);
  });

  it('accepts both refunds of two tills that refunded the same goods offline, and flags the later one refund_exceeds_sold', async () => {
    const sale = await sellAndPush(2);
    // Both tills look the receipt up while online, then lose the cloud and refund everything.
    for (const till of [e2, e3]) {
      expect((await call(online(till), 'GET', `/v1/sales/${sale.id}`)).status).toBe(200);
    }
    for (const till of [e2, e3]) {
      const r = await call(offline(till), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(till, 2));
      expect(r).toMatchObject({ status: 201, body: { totalMinor: 600 } });
    }
    expect(await statuses(e2)).toMatchObject({ rejected: 0, held: 0 });
    expect(await statuses(e3)).toMatchObject({ rejected: 0, held: 0 });
    const stored = await cloudRefunds(sale.id);
    expect(stored.map((r) => [r.device_id, JSON.parse(r.flags)])).toEqual([
      [e2.deviceId, []],
      [e3.deviceId, ['refund_exceeds_sold']],
    ]);
    // The books hold both, whole: each refund paid exactly its total, once.
    for (const r of stored) expect(Number(r.paid)).toBe(Number(r.total_minor));
    expect(stored.reduce((sum, r) => sum + Number(r.total_minor), 0)).toBe(2 * sale.totalMinor);
    const [line] = await dbA.query<{ flags: string }>('SELECT flags FROM sale_lines WHERE sale_id = $1', [
      stored[1]!.id,
    ]);
    expect(JSON.parse(line!.flags)).toEqual(['refund_exceeds_sold']);
    const report = await flagsReport(dbA, { from: sale.businessDate, to: sale.businessDate, branch: null });
    expect(report.totals).toContainEqual({ flag: 'refund_exceeds_sold', count: 1 });
    expect(e3.edge.store.outbox.status(new Date())).toMatchObject({ pending: 0, quarantined: 0 });
  });

  it("never lets a device read another tenant's sale: routing is by the device token", async () => {
    const sale = await sellAndPush(1);
    const get = (headers: Record<string, string>) =>
      fetch(`${url()}/v1/device/sales/${sale.id}`, { headers }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { error?: { code: string } },
      }));
    expect(await get({ authorization: `Bearer ${e2.token}` })).toMatchObject({ status: 200 });
    expect(await get({ authorization: `Bearer ${foreign.token}` })).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found' } },
    });
    // Another tenant's org in a forged token, a wrong secret, no token: unauthorized.
    const forged = foreign.token.replace(orgB, orgA);
    expect(await get({ authorization: `Bearer ${forged}` })).toMatchObject({ status: 401 });
    expect(await get({ authorization: `Bearer ${e2.token.slice(0, -4)}AAAA` })).toMatchObject({
      status: 401,
    });
    expect(await get({})).toMatchObject({ status: 401 });
    const before = rowCounts(foreign.edge.store);
    expect(
      await call(online(foreign), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(foreign, 1)),
    ).toMatchObject({ status: 404, body: { error: { code: 'sale_not_found' } } });
    expect(rowCounts(foreign.edge.store)).toEqual(before);
    expect(copies(foreign)).toBe(0);
  });

  it('answers 409 or a whole refund when the cloud fails mid-fetch, never half of one, and the retry records it once', async () => {
    const sale = await sellAndPush(1);
    const broken = [
      // Accepts and never answers: the timeout.
      await fakeCloud(null),
      // Drops the socket halfway through the answer.
      await fakeCloud(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 4000\r\n\r\n{"sale":{"id":',
      ),
      // Answers something that is not a sale.
      await fakeCloud(
        'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}',
      ),
      // A cloud in trouble.
      await fakeCloud('HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'),
    ];
    const id = crypto.randomUUID();
    try {
      for (const cloud of broken) {
        const before = rowCounts(e3.edge.store);
        const res = await call(
          app(e3, cloud.url, 300),
          'POST',
          `/v1/sales/${sale.id}/refunds`,
          refundBody(e3, 1, id),
        );
        expect(res, cloud.url).toMatchObject({
          status: 409,
          body: { error: { code: 'original_unavailable' } },
        });
        expect(rowCounts(e3.edge.store)).toEqual(before);
      }
    } finally {
      for (const cloud of broken) await cloud.close();
    }
    // The same refund again once the cloud answers: recorded once, and a retry gets the first answer.
    const done = await call(online(e3), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(e3, 1, id));
    expect(done).toMatchObject({ status: 201, body: { id } });
    const again = await call(offline(e3), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(e3, 1, id));
    expect(again).toEqual({ status: 200, body: done.body });
    expect(e3.outbox().filter((m) => m.id === id)).toHaveLength(1);
    expect(await statuses(e3)).toMatchObject({ rejected: 0 });
    expect((await cloudRefunds(sale.id)).map((r) => r.id)).toEqual([id]);
  });

  it('answers the cloud being stopped with 409 and nothing written, the revoked device too', async () => {
    const sale = await sellAndPush(1);
    const second = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: `mpa_${orgA}_${'y'.repeat(24)}`,
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 1 },
      migration: { intervalMs: 0, concurrency: 1 },
    });
    const secondUrl = `http://127.0.0.1:${second.port}`;
    expect((await call(app(e3, secondUrl), 'GET', `/v1/sales/${sale.id}`)).status).toBe(200);
    await second.stop();
    const fresh = await createTill(dbA, orgA, 'Fresh');
    tills.push(fresh);
    const before = rowCounts(fresh.edge.store);
    const res = await call(
      app(fresh, secondUrl),
      'POST',
      `/v1/sales/${sale.id}/refunds`,
      refundBody(fresh, 1),
    );
    expect(res).toMatchObject({ status: 409, body: { error: { code: 'original_unavailable' } } });
    expect(rowCounts(fresh.edge.store)).toEqual(before);
    // A revoked device's token is refused by the cloud: the edge cannot fetch, and says so.
    await dbA.query('UPDATE devices SET revoked_at = now() WHERE id = $1', [fresh.deviceId]);
    const revoked = await call(online(fresh), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(fresh, 1));
    expect(revoked).toMatchObject({ status: 409, body: { error: { code: 'original_unavailable' } } });
    expect(revoked.body.error.message).toMatch(/401/);
    expect(rowCounts(fresh.edge.store)).toEqual(before);
  });

  it("the agent (`modernpos edge`) refunds another till's sale through the cloud it syncs with", async () => {
    const sale = await sellAndPush(1);
    const { token, deviceId } = await registerDevice(
      { db: dbA, orgId: orgA, actor: 'test' },
      { branch: 'MAIN', name: 'Agent' },
    );
    const dir = mkdtempSync(join(tmpdir(), 'modernpos-anytill-'));
    const agent = await startEdgeProcess({
      dbFile: join(dir, 'edge.db'),
      branch: 'MAIN',
      currency: 'EUR',
      args: ['--cloud-url', url(), '--token', token, '--open-cashier-api'],
    });
    try {
      const res = await fetch(`${agent.url}/v1/sales/${sale.id}/refunds`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          terminal: 'AGENT1',
          lines: [{ lineNo: 1, qtyMilli: 1000 }],
          payments: [{ method: 'cash', amountMinor: 300 }],
        }),
      });
      expect(res.status, agent.output()).toBe(201);
      const refund = (await res.json()) as { id: string };
      // The agent's sync loop pushes it; the cloud holds it under the agent's device.
      for (let i = 0; i < 200; i++) {
        if ((await cloudRefunds(sale.id)).length > 0) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect((await cloudRefunds(sale.id)).map((r) => [r.id, r.device_id])).toEqual([[refund.id, deviceId]]);
    } finally {
      await agent.stop('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Postgres only: an embedded PGlite has no server backends to terminate.
  it.skipIf(engine !== 'postgres')(
    "answers 409 or a whole refund when the tenant's database backends are terminated under the fetch",
    async () => {
      const sale = await sellAndPush(1);
      const admin = new pg.Client({ connectionString: PG_URL });
      await admin.connect();
      const id = crypto.randomUUID();
      const till = await createTill(dbA, orgA, 'Terminated');
      tills.push(till);
      try {
        const before = rowCounts(till.edge.store);
        const answer = call(online(till), 'POST', `/v1/sales/${sale.id}/refunds`, refundBody(till, 1, id));
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = $1 AND application_name = 'modernpos-tenant'`,
          [tenantDatabaseName(orgA)],
        );
        const res = await answer;
        if (res.status !== 201) {
          expect(res).toMatchObject({ status: 409, body: { error: { code: 'original_unavailable' } } });
          expect(rowCounts(till.edge.store)).toEqual(before);
        }
        const retried = await call(
          online(till),
          'POST',
          `/v1/sales/${sale.id}/refunds`,
          refundBody(till, 1, id),
        );
        expect(retried.status).toBe(res.status === 201 ? 200 : 201);
      } finally {
        await admin.end();
      }
      expect(await statuses(till)).toMatchObject({ pushed: 1, rejected: 0 });
      expect((await cloudRefunds(sale.id)).map((r) => r.id)).toEqual([id]);
    },
  );
});
