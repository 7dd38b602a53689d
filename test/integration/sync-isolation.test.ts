// One tenant's slow or failed database never stalls another tenant's sync: each connection's work
// runs on its own tenant's pool, so a tenant whose tables are locked, or whose database refuses
// connections, only delays or refuses its own devices. Postgres only: it needs a second session to
// hold a lock and ALTER DATABASE to refuse connections.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { connect } from '../../edge/sync/connection.ts';
import { syncOn } from '../../edge/sync/sync-client.ts';
import { quoteIdent } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestEdge, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, NO_PG, PG_URL, type TestPlatform, uniqueId } from '../helpers/engines.ts';

describe.skipIf(NO_PG)('sync isolation between tenants (needs MODERNPOS_TEST_PG_URL)', () => {
  let p: TestPlatform;
  let server: CloudServer;
  const tenants: { orgId: string; token: string; edge: TestEdge }[] = [];
  const admin = (database: string) => {
    const url = new URL(PG_URL!);
    url.pathname = `/${database}`;
    return new pg.Client({ connectionString: url.toString() });
  };
  const sell = (edge: TestEdge) =>
    edge.store.sales.recordSale({
      terminal: 'T1',
      lines: [{ name: 'Item', unitPriceMinor: 100, qtyMilli: 1000, taxRateBp: 0 }],
      payments: [{ method: 'cash', amountMinor: 100 }],
    });
  const sync = async (t: (typeof tenants)[number]) => {
    const conn = await connect(`http://127.0.0.1:${server.port}`, t.token);
    try {
      return await syncOn(conn, t.edge.store);
    } finally {
      conn.close();
    }
  };
  const sales = async (orgId: string) => {
    const c = admin(tenantDatabaseName(orgId));
    await c.connect();
    try {
      return Number((await c.query('SELECT count(*)::int AS n FROM sales')).rows[0].n);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    p = await createTestPlatform('postgres');
    for (const label of ['slow', 'fine']) {
      const orgId = uniqueId(label);
      await onboardTenant(p.tenants, { orgId, name: label, currency: 'EUR' });
      const db = p.engine.openDatabase(tenantDatabaseName(orgId));
      const { token } = await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Till' });
      await db.close();
      tenants.push({
        orgId,
        token,
        edge: await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } }),
      });
    }
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: 'mpa_isolation_test_token_0123456',
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 4, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
    });
  });
  afterAll(async () => {
    for (const t of tenants) t.edge.destroy();
    await server?.stop().catch(() => {});
    await p?.destroy();
  });

  it("syncs a tenant while another tenant's database is locked, and the locked one finishes afterwards", async () => {
    const [slow, fine] = tenants as [(typeof tenants)[number], (typeof tenants)[number]];
    sell(slow.edge);
    sell(fine.edge);
    const locker = admin(tenantDatabaseName(slow.orgId));
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE devices IN ACCESS EXCLUSIVE MODE');
      const stuck = sync(slow);
      const started = performance.now();
      expect(await sync(fine)).toMatchObject({ pushed: 1 });
      expect(performance.now() - started).toBeLessThan(3000);
      expect(await sales(fine.orgId)).toBe(1);
      await locker.query('ROLLBACK');
      expect(await stuck).toMatchObject({ pushed: 1 });
      expect(await sales(slow.orgId)).toBe(1);
    } finally {
      await locker.end();
    }
  });

  it("syncs a tenant while another tenant's database refuses connections", async () => {
    const [down, fine] = tenants as [(typeof tenants)[number], (typeof tenants)[number]];
    sell(down.edge);
    sell(fine.edge);
    const database = tenantDatabaseName(down.orgId);
    const root = admin('postgres');
    await root.connect();
    try {
      await server.resolver.invalidate(down.orgId);
      await root.query(`ALTER DATABASE ${quoteIdent(database)} WITH ALLOW_CONNECTIONS false`);
      await root.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [
        database,
      ]);
      await expect(sync(down)).rejects.toMatchObject({ code: 'tenant_unavailable', retry: true });
      expect(await sync(fine)).toMatchObject({ pushed: 1 });
      expect(await sales(fine.orgId)).toBe(2);
      await root.query(`ALTER DATABASE ${quoteIdent(database)} WITH ALLOW_CONNECTIONS true`);
      expect(await sync(down)).toMatchObject({ pushed: 1 });
      expect(await sales(down.orgId)).toBe(2);
    } finally {
      await root.query(`ALTER DATABASE ${quoteIdent(database)} WITH ALLOW_CONNECTIONS true`).catch(() => {});
      await root.end();
    }
  });
});
