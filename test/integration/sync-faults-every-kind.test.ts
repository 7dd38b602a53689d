// Every mutation kind under every sync fault. One workload records one of each kind through an edge's
// HTTP routes with a real cashier session (test/helpers/every-kind.ts: PIN failures and a lock, a
// sign-in, a shift with cash out and its close, a sale with a manager's override, a refund of another
// till's sale fetched from the cloud, a no-sale, a goods receipt, an adjustment, a count and a
// transfer); then, per fault, the tenant's database holds each document exactly once and the edge's
// outbox drains with nothing quarantined. On every engine: the socket dropped before the ack, and
// after it (the resend is all `duplicate`). On Postgres, with real processes: the cloud SIGKILLed
// mid-batch and restarted, the tenant's backend terminated mid-batch, and the edge agent SIGKILLed
// mid-push and restarted (signing in with the PINs it pulled from the cloud).
import { randomBytes } from 'node:crypto';
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
import type { ClosableSqlDatabase, SqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { type CloudProcess, cloudProcessEnv, startCloudProcess } from '../helpers/cloud-process.ts';
import { call } from '../helpers/edge.ts';
import { type EdgeProcess, startEdgeProcess } from '../helpers/edge-process.ts';
import {
  createTestPlatform,
  engineNames,
  NO_PG,
  PG_URL,
  type TestPlatform,
  uniqueId,
} from '../helpers/engines.ts';
import {
  type EdgeHttp,
  expectEveryKindOnce,
  prepareWorkload,
  recordEveryKind,
  setUpTillPeople,
  type TillPeople,
  WORKLOAD_ON_HAND,
  type Workload,
} from '../helpers/every-kind.ts';
import {
  createTill,
  hello,
  openRawSync,
  sleep,
  startRelay,
  syncTill,
  syncUntilDone,
  type Till,
  tenantFootprint,
} from '../helpers/sync.ts';
import { useSyncTenant } from '../helpers/sync-tenant.ts';
import { killLockWaitingTenantBackend } from '../helpers/tenant-backends.ts';

/** A till (in-process edge store) with one of every kind recorded through its HTTP routes, not yet pushed. */
async function tillWithEveryKind(
  db: SqlDatabase,
  url: string,
  people: TillPeople,
  seller: Till,
  newTill: () => Promise<Till>,
): Promise<{ till: Till; workload: Workload; sessionToken: string }> {
  const till = await newTill();
  const workload = await prepareWorkload(db, url, people, seller);
  await syncTill(url, till);
  const app = createEdgeApp({
    store: till.edge.store,
    fetchOriginal: cloudOriginals(url, till.token, { timeoutMs: 10_000 }),
  });
  const http: EdgeHttp = (method, path, body, headers) => call(app, method, path, body, headers);
  const sessionToken = await recordEveryKind(http, till.terminal, workload);
  expect(till.pending()).toBe(till.outbox().length);
  return { till, workload, sessionToken };
}

/** The till's outbox drained with nothing quarantined, and its on hand as the cloud's. */
const expectDrained = (till: Till, w: Workload) => {
  expect(till.edge.store.outbox.status(new Date())).toMatchObject({ pending: 0, quarantined: 0 });
  expect(till.edge.store.stock.onHand(w.productId).map((r) => r.qtyMilli)).toEqual([WORKLOAD_ON_HAND.here]);
};

describe.each(engineNames)('every mutation kind across dropped sockets on %s', (engine) => {
  const tenant = useSyncTenant(engine, 'EveryKind');
  let people: TillPeople;
  let seller: Till;
  beforeAll(async () => {
    people = await setUpTillPeople(tenant.db());
    seller = await tenant.newTill('Seller');
  });
  const recorded = () =>
    tillWithEveryKind(tenant.db(), tenant.url(), people, seller, () => tenant.newTill('Every kind'));
  const welcomed = async (till: Till) => {
    const raw = await openRawSync(tenant.url(), till.token);
    const reply = await raw.request(hello({ storeId: till.storeId }));
    if (reply.type !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(reply)}`);
    return raw;
  };

  it('the socket dropped before the ack: each document is in the cloud exactly once', async () => {
    const { till, workload, sessionToken } = await recorded();
    const raw = await welcomed(till);
    raw.send({ type: 'push', mutations: till.outbox() });
    raw.terminate();
    await syncUntilDone(tenant.url(), till);
    await expectEveryKindOnce(tenant.db(), till.deviceId, till.outbox(), workload);
    expectDrained(till, workload);

    // The cashier's session is this edge's alone: the device route of the cloud does not take it.
    const asDevice = await fetch(`${tenant.url()}/v1/device/sales/${workload.originalSaleId}`, {
      headers: { authorization: `Bearer ${sessionToken}` },
    });
    expect(asDevice.status).toBe(401);
  });

  it("the socket dropped after the ack, and the edge's own connection cut after its first ack: the resend is all duplicate", async () => {
    const { till, workload } = await recorded();
    // The edge's client, cut by a relay as soon as its first batch is acknowledged.
    const relay = await startRelay(tenant.server().port);
    try {
      const cut = await syncTill(relay.url, till, {
        maxBatchMutations: 3,
        onProgress: () => relay.cut(),
      }).catch((err: unknown) => err);
      expect(cut, String(cut)).toBeInstanceOf(ConnectionLost);
    } finally {
      await relay.close();
    }
    // The rest pushed raw and acked, and the socket dropped before the edge could hear the ack.
    const raw = await welcomed(till);
    const ack = await raw.request({ type: 'push', mutations: till.outbox() });
    raw.terminate();
    if (ack.type !== 'ack') throw new Error(`expected an ack, got ${JSON.stringify(ack)}`);
    expect(ack.results.filter((r) => r.status !== 'applied' && r.status !== 'duplicate')).toEqual([]);
    expect(ack.lastAppliedSeq).toBe(till.outbox().length);
    const pending = till.pending();
    expect(pending).toBeGreaterThan(0);
    expect(await syncTill(tenant.url(), till)).toMatchObject({ pushed: 0, duplicates: pending, rejected: 0 });
    await expectEveryKindOnce(tenant.db(), till.deviceId, till.outbox(), workload);
    expectDrained(till, workload);
  });
});

describe.skipIf(NO_PG)('every mutation kind across processes killed (needs MODERNPOS_TEST_PG_URL)', () => {
  const masterKey = randomBytes(32);
  const orgA = uniqueId('ea');
  const orgB = uniqueId('eb');
  let p: TestPlatform;
  let dbA: ClosableSqlDatabase;
  let dbB: ClosableSqlDatabase;
  let env: Record<string, string>;
  let cloud: CloudProcess;
  let people: TillPeople;
  let seller: Till;
  let footprintOfB: Record<string, number>;
  const tills: Till[] = [];
  const dirs: string[] = [];
  let agent: EdgeProcess | undefined;

  const newTill = async (name: string, orgId = orgA) => {
    const till = await createTill(orgId === orgA ? dbA : dbB, orgId, `${name} ${uniqueId()}`);
    tills.push(till);
    return till;
  };
  const recorded = () => tillWithEveryKind(dbA, cloud.url, people, seller, () => newTill('Every kind'));
  /** Tenant B is untouched and the cloud still serves. */
  const expectIsolatedAndServing = async () => {
    expect(await tenantFootprint(dbB)).toEqual(footprintOfB);
    expect((await fetch(`${cloud.url}/healthz`)).status).toBe(200);
  };

  beforeAll(async () => {
    p = await createTestPlatform('postgres', { keyring: createKeyring(masterKey) });
    await onboardTenant(p.tenants, { orgId: orgA, name: 'Every kind A', currency: 'EUR' });
    await onboardTenant(p.tenants, { orgId: orgB, name: 'Every kind B', currency: 'EUR' });
    dbA = p.engine.openDatabase(tenantDatabaseName(orgA));
    dbB = p.engine.openDatabase(tenantDatabaseName(orgB));
    env = cloudProcessEnv(p, masterKey, 'mpa_every_kind_token_0123456789');
    cloud = await startCloudProcess(env);
    people = await setUpTillPeople(dbA);
    seller = await newTill('Seller');
    const tillOfB = await newTill('Till of B', orgB);
    tillOfB.sell(2);
    await syncTill(cloud.url, tillOfB);
    footprintOfB = await tenantFootprint(dbB);
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

  it('the cloud SIGKILLed mid-batch and restarted: each document is in the cloud exactly once', async () => {
    const { till, workload } = await recorded();
    const victim = cloud;
    let acks = 0;
    const outcome = await syncTill(victim.url, till, {
      maxBatchMutations: 2,
      onProgress: () => {
        // A few milliseconds after the second ack: the third batch is on the wire or in its transaction.
        if (++acks === 2) setTimeout(() => void victim.stop('SIGKILL'), Math.random() * 4);
      },
    }).catch((err: unknown) => err);
    expect(outcome, String(outcome)).toBeInstanceOf(ConnectionLost);
    await victim.stop('SIGKILL');
    cloud = await startCloudProcess({ ...env, PORT: String(victim.port) });
    expect(till.pending()).toBeGreaterThan(0);
    await syncUntilDone(cloud.url, till);
    await expectEveryKindOnce(dbA, till.deviceId, till.outbox(), workload);
    expectDrained(till, workload);
    await expectIsolatedAndServing();
  });

  it("the tenant's backend terminated mid-batch (pg_terminate_backend): nothing of the batch stays, then each document once", async () => {
    const { till, workload } = await recorded();
    const tenantUrl = new URL(PG_URL!);
    tenantUrl.pathname = `/${tenantDatabaseName(orgA)}`;
    const locker = new pg.Client({ connectionString: tenantUrl.toString() });
    const admin = new pg.Client({ connectionString: PG_URL });
    await locker.connect();
    await admin.connect();
    try {
      const raw = await openRawSync(cloud.url, till.token);
      expect((await raw.request(hello({ storeId: till.storeId }))).type).toBe('welcome');
      // The refund locks its original after the batch has opened its shift and written its sale:
      // holding the original makes the batch wait there, mid-transaction, for its backend to be killed.
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM sales WHERE id = $1 FOR UPDATE', [workload.originalSaleId]);
      raw.send({ type: 'push', mutations: till.outbox() });
      const killed = await killLockWaitingTenantBackend(admin, orgA);
      expect(killed).toBe(1);
      expect(await raw.next()).toMatchObject({ type: 'error', code: 'tenant_unavailable' });
      await locker.query('ROLLBACK');
      // The batch's transaction died whole: nothing of it is in the cloud.
      const [written] = await dbA.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM shifts WHERE device_id = $1)
              + (SELECT count(*) FROM sales WHERE device_id = $1)
              + (SELECT count(*) FROM audit_logs WHERE device_id = $1)
              + (SELECT count(*) FROM stock_documents WHERE device_id = $1) AS n`,
        [till.deviceId],
      );
      expect(Number(written?.n)).toBe(0);
      expect(cloud.exited, cloud.output().slice(-600)).toBe(false);
    } finally {
      await locker.end().catch(() => {});
      await admin.end();
    }
    await syncUntilDone(cloud.url, till);
    await expectEveryKindOnce(dbA, till.deviceId, till.outbox(), workload);
    expectDrained(till, workload);
    await expectIsolatedAndServing();
  });

  it('the edge agent SIGKILLed mid-push and restarted: each document it answered is in the cloud exactly once', async () => {
    const device = await registerDevice(
      { db: dbA, orgId: orgA, actor: 'test' },
      { branch: 'MAIN', name: `Agent ${uniqueId()}` },
    );
    const dir = mkdtempSync(join(tmpdir(), 'modernpos-every-kind-'));
    dirs.push(dir);
    const dbFile = join(dir, 'edge.db');
    // A real cashier session: the agent signs in with the PINs it pulled from the cloud.
    const start = () =>
      startEdgeProcess({
        dbFile,
        branch: 'MAIN',
        currency: 'EUR',
        args: ['--cloud-url', cloud.url, '--token', device.token],
      });
    const workload = await prepareWorkload(dbA, cloud.url, people, seller);
    agent = await start();
    const http: EdgeHttp = async (method, path, body, headers = {}) => {
      const res = await fetch(`${agent!.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
    };
    // The agent pulls on its own: the product (made after the people and branch) says the pull is in.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(50)) {
      const found = await http('GET', `/v1/products?q=${workload.sku}`);
      if (found.body.products.length > 0) break;
    }
    const kills = new Set([3, 9, 13, 17]);
    // Each record kicks the agent's push: killed a few milliseconds after an answer, it is pushing.
    await recordEveryKind(http, 'K1', workload, async (step) => {
      if (!kills.has(step)) return;
      await sleep(Math.random() * 5);
      await agent!.stop('SIGKILL');
      agent = await start();
    });
    // The restarted agent pushes on its own: wait until its outbox is empty.
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(50)) {
      if ((await http('GET', '/v1/sync/status')).body.pending === 0) break;
    }
    await agent.stop('SIGTERM');
    agent = undefined;

    const edgeDb = new Database(dbFile, { readonly: true });
    let outbox: Mutation[];
    try {
      outbox = (
        edgeDb.prepare('SELECT seq, mutation_id AS id, kind, payload FROM outbox ORDER BY seq').all() as {
          seq: number;
          id: string;
          kind: string;
          payload: string;
        }[]
      ).map((r) => ({ seq: r.seq, id: r.id, kind: r.kind, payload: JSON.parse(r.payload) }));
      const status = edgeDb
        .prepare(
          `SELECT count(*) FILTER (WHERE acked_at IS NULL) AS pending,
                  count(*) FILTER (WHERE acked_at IS NOT NULL AND result = 'rejected') AS quarantined
             FROM outbox`,
        )
        .get();
      expect(status).toEqual({ pending: 0, quarantined: 0 });
      const onHand = edgeDb
        .prepare("SELECT qty_milli AS q FROM stock_on_hand WHERE branch_code = 'MAIN' AND product_id = ?")
        .get(workload.productId) as { q: number } | undefined;
      expect(onHand?.q).toBe(WORKLOAD_ON_HAND.here);
    } finally {
      edgeDb.close();
    }
    await expectEveryKindOnce(dbA, device.deviceId, outbox, workload);
    await expectIsolatedAndServing();
  });
});
