// Sync with real processes SIGKILLed: the cloud (`modernpos cloud` on the real Postgres) killed while
// an edge pushes and restarted on the same port, and the edge agent (`modernpos edge`) killed while it
// records and pushes sales and restarted on the same database. After each: every sale the edge
// answered is in the tenant's database exactly once with its totals, the other tenant has nothing of
// it, and the cloud still serves. Postgres only: the test and the cloud process share the databases.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { createKeyring } from '../../cloud/secrets/keyring.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { createEdgeApp } from '../../edge/http/app.ts';
import { ConnectionLost } from '../../edge/sync/connection.ts';
import { cloudOriginals } from '../../edge/sync/fetch-original.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { type CloudProcess, cloudProcessEnv, startCloudProcess } from '../helpers/cloud-process.ts';
import { call, seedCatalog } from '../helpers/edge.ts';
import { type EdgeProcess, startEdgeProcess } from '../helpers/edge-process.ts';
import { createTestPlatform, NO_PG, PG_URL, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import {
  type AnsweredSale,
  cloudSalesOf,
  createTill,
  deviceState,
  hello,
  openRawSync,
  sleep,
  sortById,
  sumTotals,
  syncTill,
  syncUntilDone,
  type Till,
  tenantFootprint,
} from '../helpers/sync.ts';
import { killLockWaitingTenantBackend } from '../helpers/tenant-backends.ts';

/** The body of a new sale for the agent's cashier API, with its own id so a retry is idempotent. */
function saleBody(n: number) {
  const price = 100 + (n % 900);
  return {
    id: randomUUID(),
    terminal: 'K1',
    lines: [{ name: `Item ${n}`, unitPriceMinor: price, qtyMilli: 1000, taxRateBp: 0 }],
    payments: [{ method: 'cash', amountMinor: price }],
  };
}

type SaleBody = ReturnType<typeof saleBody>;

/** Posts a sale; its answer as the cloud must hold it, or undefined if the agent died before answering. */
async function postSale(agent: EdgeProcess, body: SaleBody): Promise<AnsweredSale | undefined> {
  try {
    const res = await fetch(`${agent.url}/v1/sales`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await res.json()) as {
      id: string;
      receiptNo: string;
      totalMinor: number;
      lines: unknown[];
      payments: unknown[];
    };
    // 201 for a new sale, 200 with the first answer for a retried id.
    if (res.status !== 201 && res.status !== 200) throw new Error(`POST /v1/sales: ${res.status}`);
    return {
      id: json.id,
      receiptNo: json.receiptNo,
      totalMinor: json.totalMinor,
      lines: json.lines.length,
      payments: json.payments.length,
    };
  } catch (err) {
    if (agent.exited || (err as Error).name === 'TypeError') return undefined;
    throw err;
  }
}

describe.skipIf(NO_PG)('sync with real processes SIGKILLed (needs MODERNPOS_TEST_PG_URL)', () => {
  const masterKey = randomBytes(32);
  const orgA = uniqueId('ka');
  const orgB = uniqueId('kb');
  let p: TestPlatform;
  let dbA: ClosableSqlDatabase;
  let dbB: ClosableSqlDatabase;
  let env: Record<string, string>;
  let cloud: CloudProcess;
  let canary: Till;
  let tillOfB: Till;
  let footprintOfB: Record<string, number>;
  const tills: Till[] = [];
  const dirs: string[] = [];
  let agent: EdgeProcess | undefined;

  const newTill = async (name: string, orgId = orgA) => {
    const till = await createTill(orgId === orgA ? dbA : dbB, orgId, `${name} ${uniqueId()}`);
    tills.push(till);
    return till;
  };
  const expectIsolatedAndServing = async () => {
    expect(await cloudSalesOf(dbB, tillOfB.deviceId)).toEqual(sortById(tillOfB.answered));
    expect(await tenantFootprint(dbB)).toEqual(footprintOfB);
    expect((await fetch(`${cloud.url}/healthz`)).status).toBe(200);
    canary.sell(1);
    expect(await syncTill(cloud.url, canary)).toMatchObject({ pushed: 1, duplicates: 0, rejected: 0 });
    expect(await cloudSalesOf(dbA, canary.deviceId)).toEqual(sortById(canary.answered));
  };

  beforeAll(async () => {
    p = await createTestPlatform('postgres', { keyring: createKeyring(masterKey) });
    await onboardTenant(p.tenants, { orgId: orgA, name: 'Kill A', currency: 'EUR' });
    await onboardTenant(p.tenants, { orgId: orgB, name: 'Kill B', currency: 'EUR' });
    dbA = p.engine.openDatabase(tenantDatabaseName(orgA));
    dbB = p.engine.openDatabase(tenantDatabaseName(orgB));
    env = cloudProcessEnv(p, masterKey, 'mpa_sync_kill_token_0123456789');
    cloud = await startCloudProcess(env);
    canary = await newTill('Canary');
    tillOfB = await newTill('Till of B', orgB);
    tillOfB.sell(2);
    await syncTill(cloud.url, tillOfB);
    footprintOfB = await tenantFootprint(dbB);
    expect(footprintOfB).toMatchObject({ sales: 2 });
  });

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    await cloud?.stop('SIGKILL');
    for (const till of tills) till.edge.destroy();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await dbA?.close();
    await dbB?.close();
    await p?.destroy();
  });

  it('the cloud SIGKILLed mid-batch and restarted: the edge converges exactly once', async () => {
    const till = await newTill('Cloud killed');
    till.sell(300);
    const cut: unknown[] = [];
    for (let round = 0; round < 3; round++) {
      const victim = cloud;
      const killAfter = 2 + Math.floor(Math.random() * 5);
      let acks = 0;
      const outcome = await syncTill(victim.url, till, {
        maxBatchMutations: 10,
        onProgress: () => {
          // A few milliseconds after an ack: the next batch is on the wire or in its transaction.
          if (++acks === killAfter) setTimeout(() => void victim.stop('SIGKILL'), Math.random() * 4);
        },
      }).catch((err: unknown) => err);
      cut.push(outcome);
      await victim.stop('SIGKILL');
      cloud = await startCloudProcess({ ...env, PORT: String(victim.port) });
    }
    for (const outcome of cut) expect(outcome, String(outcome)).toBeInstanceOf(ConnectionLost);
    expect(till.pending()).toBeGreaterThan(0);

    await syncUntilDone(cloud.url, till);
    const cloudSales = await cloudSalesOf(dbA, till.deviceId);
    expect(cloudSales).toEqual(sortById(till.answered));
    expect(sumTotals(cloudSales)).toBe(sumTotals(till.answered));
    expect(await deviceState(dbA, till.deviceId)).toEqual({ lastAppliedSeq: 300, quarantined: 0 });
    await expectIsolatedAndServing();
  });

  it('the cloud SIGKILLed mid-batch of stock documents and restarted: stock moves exactly once', async () => {
    const till = await newTill('Stock killed');
    const productId = randomUUID();
    seedCatalog(till.edge.store, { products: [{ id: productId, sku: `TEA-${productId}` }] });
    const { stock } = till.edge.store;
    // A count first: a document applied twice after it would show in on hand.
    const recorded: { ok: boolean }[] = [stock.count({ lines: [{ productId, countedQtyMilli: 0 }] })];
    for (let i = 0; i < 60; i++) {
      recorded.push(stock.receive({ lines: [{ productId, qtyMilli: 1000, unitCostMinor: 10 }] }));
      recorded.push(stock.adjust({ reason: 'Damaged', lines: [{ productId, deltaQtyMilli: -100 }] }));
    }
    expect(recorded.every((r) => r.ok)).toBe(true);
    const victim = cloud;
    let acks = 0;
    const outcome = await syncTill(victim.url, till, {
      maxBatchMutations: 10,
      onProgress: () => {
        if (++acks === 3) setTimeout(() => void victim.stop('SIGKILL'), Math.random() * 4);
      },
    }).catch((err: unknown) => err);
    expect(outcome, String(outcome)).toBeInstanceOf(ConnectionLost);
    await victim.stop('SIGKILL');
    cloud = await startCloudProcess({ ...env, PORT: String(victim.port) });
    await syncUntilDone(cloud.url, till);
    const [onHand] = await dbA.query<{ q: number }>(
      "SELECT qty_milli AS q FROM stock_on_hand WHERE branch_code = 'MAIN' AND product_id = $1",
      [productId],
    );
    expect(Number(onHand?.q)).toBe(60 * 900);
    const [docs] = await dbA.query<{ n: number }>(
      'SELECT count(*)::int4 AS n FROM stock_documents WHERE device_id = $1',
      [till.deviceId],
    );
    expect(docs?.n).toBe(121);
    expect(await deviceState(dbA, till.deviceId)).toEqual({ lastAppliedSeq: 121, quarantined: 0 });
    await expectIsolatedAndServing();
  });

  it('the edge agent SIGKILLed mid-push and restarted: every sale it answered is there exactly once', async () => {
    const device = await registerDevice(
      { db: dbA, orgId: orgA, actor: 'test' },
      { branch: 'MAIN', name: `Agent ${uniqueId()}` },
    );
    const dir = mkdtempSync(join(tmpdir(), 'modernpos-sync-kill-'));
    dirs.push(dir);
    const dbFile = join(dir, 'edge.db');
    const start = () =>
      startEdgeProcess({
        dbFile,
        branch: 'MAIN',
        currency: 'EUR',
        // About kills, not sign-in: the open cashier API (loopback) takes sales without a session.
        args: ['--cloud-url', cloud.url, '--token', device.token, '--open-cashier-api'],
      });
    const answered = new Map<string, AnsweredSale>();
    /** Posted while the agent died: maybe recorded, maybe not; posted again (same id) after the restart. */
    const unanswered: SaleBody[] = [];
    let n = 0;
    const resend = async (edge: EdgeProcess) => {
      for (const body of unanswered.splice(0)) {
        const answer = await postSale(edge, body);
        if (!answer) throw new Error('the restarted agent did not answer');
        answered.set(answer.id, answer);
      }
    };

    agent = await start();
    for (let round = 0; round < 3; round++) {
      const edge = agent;
      await resend(edge);
      // Two tills post until the agent is killed, which pushes after every sale it records.
      const tillLoop = async () => {
        while (!edge.exited) {
          const body = saleBody(++n);
          const answer = await postSale(edge, body);
          if (answer) answered.set(answer.id, answer);
          else unanswered.push(body);
        }
      };
      const tillsPosting = [tillLoop(), tillLoop()];
      await sleep(300 + Math.floor(Math.random() * 300));
      await edge.stop('SIGKILL');
      await Promise.all(tillsPosting);
      agent = await start();
    }
    await resend(agent);

    // The restarted agent syncs on its own: wait until the cloud holds every answered sale.
    const deadline = Date.now() + 20_000;
    while ((await cloudSalesOf(dbA, device.deviceId)).length < answered.size && Date.now() < deadline) {
      await sleep(50);
    }
    await agent.stop('SIGTERM');
    agent = undefined;

    const expected = sortById([...answered.values()]);
    expect(expected.length).toBeGreaterThan(10);
    const cloudSales = await cloudSalesOf(dbA, device.deviceId);
    expect(cloudSales).toEqual(expected);
    expect(sumTotals(cloudSales)).toBe(sumTotals(expected));
    const edgeDb = new Database(dbFile, { readonly: true });
    try {
      const outbox = edgeDb
        .prepare('SELECT max(seq) AS last, count(*) FILTER (WHERE acked_at IS NULL) AS pending FROM outbox')
        .get() as { last: number; pending: number };
      expect(outbox.pending).toBe(0);
      expect(await deviceState(dbA, device.deviceId)).toEqual({
        lastAppliedSeq: outbox.last,
        quarantined: 0,
      });
    } finally {
      edgeDb.close();
    }
    await expectIsolatedAndServing();
  });

  it('the cloud process survives its tenant backend killed mid-transaction (pg_terminate_backend)', async () => {
    // cloud/engines/pg-database.ts transaction() listens for 'error' on the checked-out client; an
    // unheard one would be an uncaught exception and the whole cloud process would exit.
    const till = await newTill('Backend killed');
    till.sell(3);
    const tenantUrl = new URL(PG_URL!);
    tenantUrl.pathname = `/${tenantDatabaseName(orgA)}`;
    const locker = new pg.Client({ connectionString: tenantUrl.toString() });
    const admin = new pg.Client({ connectionString: PG_URL });
    await locker.connect();
    await admin.connect();
    const port = cloud.port;
    try {
      const raw = await openRawSync(cloud.url, till.token);
      expect((await raw.request(hello({ storeId: till.storeId }))).type).toBe('welcome');
      // Hold the device's row so the batch transaction waits on it, then kill that backend.
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM devices WHERE id = $1 FOR UPDATE', [till.deviceId]);
      raw.send({ type: 'push', mutations: till.outbox() });
      const killed = await killLockWaitingTenantBackend(admin, orgA);
      expect(killed).toBe(1);
      expect(await raw.next()).toMatchObject({ type: 'error', code: 'tenant_unavailable' });
      await locker.query('ROLLBACK');
      await sleep(300);
      expect(cloud.exited, cloud.output().slice(-600)).toBe(false);
      await syncUntilDone(cloud.url, till);
      expect(await cloudSalesOf(dbA, till.deviceId)).toEqual(sortById(till.answered));
      await expectIsolatedAndServing();
    } finally {
      await locker.end().catch(() => {});
      await admin.end();
      if (cloud.exited) cloud = await startCloudProcess({ ...env, PORT: String(port) });
    }
  });

  it("a refund of another till's sale with the cloud SIGKILLed mid-fetch: 409 or a whole refund, each recorded once", async () => {
    const seller = await newTill('Refund seller');
    const sold = seller.edge.store.sales.recordSale({
      terminal: seller.terminal,
      lines: [{ name: 'Mug', unitPriceMinor: 100, qtyMilli: 20_000, taxRateBp: 0 }],
      payments: [{ method: 'cash', amountMinor: 2000 }],
    });
    if (!sold.ok) throw new Error(sold.error.message);
    const saleId = sold.value.value.id;
    await syncTill(cloud.url, seller);
    const refunder = await newTill('Refunder');
    const victim = cloud;
    const cashier = (url: string) =>
      createEdgeApp({
        // Open mode: this is about the fetch under a kill, not the cashier session.
        openCashierApi: true,
        store: refunder.edge.store,
        fetchOriginal: cloudOriginals(url, refunder.token, { timeoutMs: 5_000 }),
      });
    const body = (id: string) => ({
      id,
      terminal: refunder.terminal,
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 100 }],
    });
    const ids = Array.from({ length: 20 }, () => randomUUID());
    const till = cashier(victim.url);
    const answers = Promise.all(
      ids.map((id, i) =>
        sleep(i * 2).then(() => call(till, 'POST', `/v1/sales/${saleId}/refunds`, body(id))),
      ),
    );
    setTimeout(() => void victim.stop('SIGKILL'), 10);
    const results = await answers;
    await victim.stop('SIGKILL');
    for (const r of results) {
      if (r.status !== 201) {
        expect(r).toMatchObject({ status: 409, body: { error: { code: 'original_unavailable' } } });
      }
    }
    const recorded = ids.filter((_, i) => results[i]!.status === 201);
    expect(
      refunder
        .outbox()
        .map((m) => m.id)
        .sort(),
    ).toEqual([...recorded].sort());
    cloud = await startCloudProcess({ ...env, PORT: String(victim.port) });
    // Each refused refund goes through once the cloud is back; each recorded one answers its first answer.
    const again = cashier(cloud.url);
    for (const [i, id] of ids.entries()) {
      const res = await call(again, 'POST', `/v1/sales/${saleId}/refunds`, body(id));
      expect(res.status).toBe(results[i]!.status === 201 ? 200 : 201);
    }
    await syncUntilDone(cloud.url, refunder);
    const stored = await dbA.query<{ id: string; total_minor: unknown; flags: string }>(
      'SELECT id, total_minor, flags FROM sales WHERE original_sale_id = $1',
      [saleId],
    );
    expect(stored.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect(stored.reduce((sum, r) => sum + Number(r.total_minor), 0)).toBe(2000);
    expect(stored.every((r) => r.flags === '[]')).toBe(true);
    await expectIsolatedAndServing();
  });
});
