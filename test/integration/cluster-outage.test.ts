// A cluster that is down makes only its own tenants unavailable: with mp_c stopped (pg_ctlcluster),
// a tenant on the main cluster keeps syncing and reporting through a real cloud server, while the
// tenant on mp_c is refused (its edge keeps its outbox) and catches up once mp_c is started again.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCluster, listClusterViews } from '../../cloud/clusters/registry.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { migrateAllTenants } from '../../cloud/tenants/migrate.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { listTenants } from '../../cloud/tenants/queries.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { dropClusterLeftovers, NO_CLUSTERS, PG_URL_C, whileMpCStoppable } from '../helpers/clusters.ts';
import { createTestPlatform, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { cloudSalesOf, createTill, syncTill, syncUntilDone, type Till } from '../helpers/sync.ts';

const TOKEN = 'mpa_outage_token_0123456789abcdef';
const VERSION = process.env.MODERNPOS_EXTRA_PG_VERSION ?? '15';

/** Stops or starts the extra cluster mp_c; only this suite uses it, so nothing else sees it down. */
function mpC(action: 'stop' | 'start'): void {
  execFileSync(
    'pg_ctlcluster',
    ['--skip-systemctl-redirect', VERSION, 'mp_c', action, ...(action === 'stop' ? ['-m', 'fast'] : [])],
    {
      stdio: 'pipe',
    },
  );
  if (action === 'start') {
    execFileSync('pg_isready', ['-q', '-t', '30', '-d', PG_URL_C!], { stdio: 'pipe' });
  }
}

const isRunning = () => {
  try {
    execFileSync('pg_isready', ['-q', '-t', '1', '-d', PG_URL_C!], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(NO_CLUSTERS)(
  `a cluster that is down ${NO_CLUSTERS ? `(skipped: ${NO_CLUSTERS})` : ''}`,
  () => {
    let p: TestPlatform;
    let server: CloudServer;
    const onMain = uniqueId('upm');
    const onC = uniqueId('upc');
    let dbMain: ClosableSqlDatabase;
    let dbC: ClosableSqlDatabase;
    let tillMain: Till;
    let tillC: Till;
    const url = () => `http://127.0.0.1:${server.port}`;
    const placedElsewhere: string[] = [];

    beforeAll(async () => {
      if (!isRunning()) mpC('start');
      p = await createTestPlatform('postgres');
      await addCluster(p.tenants, { name: 'c', url: PG_URL_C });
      await onboardTenant(p.tenants, { orgId: onMain, name: 'Main', currency: 'EUR', cluster: 'default' });
      await onboardTenant(p.tenants, { orgId: onC, name: 'On C', currency: 'EUR', cluster: 'c' });
      dbMain = p.engine.openDatabase(tenantDatabaseName(onMain));
      dbC = (await p.clusters.engine('c')).openDatabase(tenantDatabaseName(onC));
      server = await startCloudServer({
        platform: { ...p, close: async () => {} },
        adminToken: TOKEN,
        port: 0,
        hostname: '127.0.0.1',
        resolver: { maxPools: 4, poolSize: 2 },
        migration: { intervalMs: 0, concurrency: 1 },
      });
      tillMain = await createTill(dbMain, onMain, `Main ${uniqueId()}`);
      tillC = await createTill(dbC, onC, `C ${uniqueId()}`);
    });
    afterAll(async () => {
      if (!isRunning()) mpC('start');
      tillMain?.edge.destroy();
      tillC?.edge.destroy();
      await server?.stop().catch(() => {});
      await dbMain?.close();
      await dbC?.close();
      await dropClusterLeftovers(PG_URL_C!, p.config.templateDatabase!, [onC]);
      await p?.destroy();
    });

    it('serves the tenant on the main cluster while the other cluster is down, and the other again once it is back', async () => {
      tillMain.sell(2);
      tillC.sell(2);
      await syncUntilDone(url(), tillMain);
      await syncUntilDone(url(), tillC);

      // Suites that need mp_c up hold it shared for each test: the stop waits for them.
      await whileMpCStoppable(async () => {
        mpC('stop');
        try {
          // The tenant on the main cluster: sales go through, and its figures are reported.
          tillMain.sell(2);
          await syncTill(url(), tillMain);
          expect(tillMain.pending()).toBe(0);
          expect(await cloudSalesOf(dbMain, tillMain.deviceId)).toHaveLength(4);

          // The tenant on c: refused, its sale kept in its edge's outbox.
          tillC.sell(1);
          await expect(syncTill(url(), tillC)).rejects.toThrow(/unavailable/);
          expect(tillC.pending()).toBe(1);

          const report = await fetch(`${url()}/admin/reports/tenants`, {
            headers: { authorization: `Bearer ${TOKEN}` },
          });
          expect(report.status).toBe(200);
          const body = (await report.json()) as {
            failed: string[];
            tenants: { orgId: string; cluster: string; salesToday: { count: number } | null }[];
          };
          expect(body.failed).toEqual([onC]);
          expect(body.tenants.find((t) => t.orgId === onMain)).toMatchObject({
            cluster: 'default',
            salesToday: { count: 4 },
          });

          const clusters = await listClusterViews(p.tenants);
          expect(clusters.map((c) => [c.name, c.reachable])).toEqual([
            ['c', false],
            ['default', true],
          ]);
          const listed = await listTenants(p.tenants);
          expect(listed.find((t) => t.orgId === onC)?.sizeBytes).toBeNull();
          expect(listed.find((t) => t.orgId === onMain)?.sizeBytes).toBeGreaterThan(0);

          // A new tenant is not placed on it: refused before anything is written.
          const refusedOrg = uniqueId('upx');
          await expect(
            onboardTenant(p.tenants, { orgId: refusedOrg, name: 'X', cluster: 'c' }),
          ).rejects.toThrow(/cluster c is unreachable .*nothing was created/);
          expect(await p.control.query('SELECT id FROM organizations WHERE id = $1', [refusedOrg])).toEqual(
            [],
          );
          // Without --cluster, placement passes it by.
          const placed = uniqueId('upy');
          placedElsewhere.push(placed);
          expect((await onboardTenant(p.tenants, { orgId: placed, name: 'Y' })).cluster).toBe('default');

          const migrated = await migrateAllTenants(p.tenants);
          expect(migrated.failed.map((f) => f.orgId)).toEqual([onC]);
          expect(
            migrated.results
              .filter((r) => r.ok)
              .map((r) => r.orgId)
              .sort(),
          ).toEqual([onMain, ...placedElsewhere].sort());
        } finally {
          mpC('start');
        }
      });

      // Back: the tenant on c catches up, nothing lost or duplicated.
      await syncUntilDone(url(), tillC, { pauseMs: 200 });
      const sales = await cloudSalesOf(dbC, tillC.deviceId);
      expect(sales.map((s) => s.id).sort()).toEqual(tillC.answered.map((s) => s.id).sort());
      expect((await listClusterViews(p.tenants)).every((c) => c.reachable)).toBe(true);
    });
  },
);
