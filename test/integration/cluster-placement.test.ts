// Placement over real clusters (the main one and mp_b) and the tenant lifecycle on a tenant that is
// not on the deployment's own server: least-loaded placement (on loads read at most a TTL ago, on an
// injected clock), region pinning, a cluster that stops answering after it was read, and migrations,
// the migration job, rotation, export, the fan-out report, the metrics and offboarding on its cluster.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterEngines } from '../../cloud/clusters/engines.ts';
import { DEFAULT_CLUSTER_LOAD_TTL_MS } from '../../cloud/clusters/load-cache.ts';
import { addCluster, removeCluster } from '../../cloud/clusters/registry.ts';
import { clusterSealContext, storeClusterUrl } from '../../cloud/control/clusters.ts';
import { loadConnectionString } from '../../cloud/control/connection-strings.ts';
import { createCloudMetrics } from '../../cloud/metrics/cloud-metrics.ts';
import { createTenantResolver, type TenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { rotateTenantCredentials } from '../../cloud/tenants/credentials.ts';
import { exportTenant } from '../../cloud/tenants/export.ts';
import { fleetReport } from '../../cloud/tenants/fleet-report.ts';
import { migrateAllTenants } from '../../cloud/tenants/migrate.ts';
import { createMigrationJob } from '../../cloud/tenants/migration-job.ts';
import { offboardTenant } from '../../cloud/tenants/offboard.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { leastLoaded, placeTenant } from '../../cloud/tenants/placement.ts';
import { showTenant } from '../../cloud/tenants/queries.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import {
  databaseExistsOn,
  dropClusterLeftovers,
  NO_CLUSTERS,
  onCluster,
  PG_URL_B,
} from '../helpers/clusters.ts';
import { createTestPlatform, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { withExtraMigration } from '../helpers/migrations.ts';

describe('least-loaded placement order', () => {
  it('takes the smallest total size, then the fewest tenants, then the name', () => {
    const c = (name: string, sizeBytes: number, tenants: number) => ({ name, sizeBytes, tenants });
    expect(leastLoaded([c('a', 200, 1), c('b', 100, 9)])?.name).toBe('b');
    expect(leastLoaded([c('a', 100, 3), c('b', 100, 2)])?.name).toBe('b');
    expect(leastLoaded([c('b', 100, 2), c('a', 100, 2)])?.name).toBe('a');
    expect(leastLoaded([])).toBeUndefined();
  });
});

describe.skipIf(NO_CLUSTERS)(
  `tenants across real clusters ${NO_CLUSTERS ? `(skipped: ${NO_CLUSTERS})` : ''}`,
  () => {
    let p: TestPlatform;
    let resolver: TenantResolver;
    let root: string;
    const onDefault = uniqueId('pld');
    const onB = uniqueId('plb');
    const pinned = uniqueId('plp');
    const orgIds = [onDefault, onB, pinned];
    /** The clock placement's cluster loads are kept on; `later()` moves it past their TTL. */
    let clock = 0;
    const later = () => {
      clock += DEFAULT_CLUSTER_LOAD_TTL_MS;
    };
    /** Makes a tenant database heavier by `mb` MiB, through the admin handle of its cluster. */
    const grow = async (orgId: string, cluster: string, mb: number) => {
      const engine = await p.clusters.engine(cluster);
      const db = engine.openDatabase(tenantDatabaseName(orgId), 1);
      try {
        await db.exec(
          `CREATE TABLE IF NOT EXISTS test_filler (pad text); INSERT INTO test_filler SELECT repeat(md5(g::text), 32) FROM generate_series(1, ${mb * 1024}) g; CHECKPOINT;`,
        );
      } finally {
        await db.close();
      }
    };

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'modernpos-placement-'));
      p = await createTestPlatform('postgres', { clusterLoads: { now: () => clock } });
      resolver = createTenantResolver({ control: p.control, engine: p.engine, keyring: p.tenants.keyring });
      await addCluster(p.tenants, { name: 'b', url: PG_URL_B, region: 'eu' });
    });
    afterAll(async () => {
      await resolver?.close();
      await dropClusterLeftovers(PG_URL_B!, p.config.templateDatabase!, orgIds);
      await p?.destroy();
      rmSync(root, { recursive: true, force: true });
    });

    it('places on the least-loaded cluster, and a region-pinned tenant only inside its region', async () => {
      expect(
        (await onboardTenant(p.tenants, { orgId: onDefault, name: 'D', cluster: 'default' })).cluster,
      ).toBe('default');
      await grow(onDefault, 'default', 16);
      // b holds nothing yet: it is the least loaded.
      expect(await placeTenant(p.tenants, {})).toEqual({ cluster: 'b', region: null });
      expect((await onboardTenant(p.tenants, { orgId: onB, name: 'B' })).cluster).toBe('b');
      await grow(onB, 'b', 40);
      // Within the TTL, placement sees the sizes it read plus what it placed since (two tenants on b,
      // a template's size each): still b.
      expect(await placeTenant(p.tenants, {})).toEqual({ cluster: 'b', region: null });
      // Read again: default is the lighter one now, but a tenant pinned to eu still goes to b.
      later();
      expect(await placeTenant(p.tenants, {})).toEqual({ cluster: 'default', region: null });
      expect(await placeTenant(p.tenants, { region: 'eu' })).toEqual({ cluster: 'b', region: 'eu' });
      const created = await onboardTenant(p.tenants, { orgId: pinned, name: 'Pinned', region: 'eu' });
      expect(created.cluster).toBe('b');
      expect(await showTenant(p.tenants, pinned)).toMatchObject({ cluster: 'b', region: 'eu' });
      expect(await databaseExistsOn(PG_URL_B!, tenantDatabaseName(pinned))).toBe(true);
    });

    it('serves a tenant on b through the resolver, with a DSN that leads to b', async () => {
      const sealed = await loadConnectionString(p.control, onB);
      const dsn = new URL(p.tenants.keyring.open(sealed!, onB));
      expect(dsn.port).toBe('5433');
      expect(dsn.username).toBe(tenantDatabaseName(onB));
      const rows = await resolver.withTenant(onB, (db) =>
        db.query<{ value: string }>("SELECT value FROM settings WHERE key = 'currency'"),
      );
      expect(rows).toEqual([{ value: 'USD' }]);
    });

    it('rotates the credentials of a tenant on b, on b', async () => {
      await rotateTenantCredentials(p.tenants, onB);
      await resolver.invalidate(onB);
      expect(await resolver.withTenant(onB, (db) => db.query('SELECT 1 AS one'))).toEqual([{ one: 1 }]);
      const [audited] = await p.control.query<{ details: { cluster: string } }>(
        "SELECT details FROM audit_logs WHERE org_id = $1 AND action = 'tenant.credentials_rotated'",
        [onB],
      );
      expect(audited!.details.cluster).toBe('b');
    });

    it('exports, reports, measures and shows a tenant on b', async () => {
      const manifest = await exportTenant(p.tenants, onB, join(root, 'b.tar.gz'));
      expect(manifest.tables.find((t) => t.name === 'test_filler')?.rows).toBe(40 * 1024);
      const report = await fleetReport(p.tenants);
      expect(report.failed).toEqual([]);
      const figures = report.tenants.find((t) => t.orgId === onB);
      expect(figures).toMatchObject({ cluster: 'b', currency: 'USD', devices: 0 });
      expect(figures?.sizeBytes).toBeGreaterThan(40 * 1024 * 1024);
      expect((await showTenant(p.tenants, onB)).sizeBytes).toBeGreaterThan(40 * 1024 * 1024);
      const metrics = await createCloudMetrics({ tenants: p.tenants, resolver }).registry.metrics();
      expect(metrics).toMatch(new RegExp(`modernpos_tenant_database_bytes\\{org="${onB}"\\} \\d+`));
      expect(metrics).toMatch(new RegExp(`modernpos_tenant_database_bytes\\{org="${onDefault}"\\} \\d+`));
    });

    it('migrates tenants on every cluster, at most --concurrency at once on each: migrate --all and the job', async () => {
      // Counts the tenant databases open for migration on each cluster at any moment.
      const open = new Map<string, number>();
      const peak = new Map<string, number>();
      const clusters: ClusterEngines = {
        ...p.tenants.clusters,
        engine: async (name) => {
          const engine = await p.tenants.clusters.engine(name);
          return {
            ...engine,
            openDatabase: (database, max) => {
              const db = engine.openDatabase(database, max);
              open.set(name, (open.get(name) ?? 0) + 1);
              peak.set(name, Math.max(peak.get(name) ?? 0, open.get(name)!));
              return {
                ...db,
                close: async () => {
                  open.set(name, open.get(name)! - 1);
                  await db.close();
                },
              };
            },
          };
        },
      };
      const once = {
        ...p.tenants,
        clusters,
        tenantMigrations: withExtraMigration(
          p.tenants.tenantMigrations,
          'CREATE TABLE probe_all (id int); SELECT pg_sleep(0.2);',
        ),
      };
      const all = await migrateAllTenants(once, { concurrency: 1 });
      expect(all).toMatchObject({ total: 3, migrated: 3, failed: [] });
      expect(Object.fromEntries(peak)).toEqual({ default: 1, b: 1 });
      peak.clear();
      const twice = {
        ...p.tenants,
        clusters,
        tenantMigrations: withExtraMigration(
          once.tenantMigrations,
          'CREATE TABLE probe_job (id int);',
          'test_job',
        ),
      };
      const outcomes: string[] = [];
      const job = createMigrationJob(twice, {
        intervalMs: 0,
        concurrency: 1,
        onTenant: (o) => outcomes.push(`${o.orgId}:${o.ok}`),
      });
      await job.runOnce();
      await job.stop();
      expect(Object.fromEntries(peak)).toEqual({ default: 1, b: 1 });
      expect(outcomes.sort()).toEqual(orgIds.map((id) => `${id}:true`).sort());
      expect(job.stats().backlog).toBe(0);
      const tenantOnB = new URL(PG_URL_B!);
      tenantOnB.pathname = `/${tenantDatabaseName(onB)}`;
      const onBTables = await onCluster(tenantOnB.toString(), async (c) => {
        return (await c.query("SELECT tablename FROM pg_tables WHERE tablename LIKE 'probe_%' ORDER BY 1"))
          .rows;
      });
      expect(onBTables).toEqual([{ tablename: 'probe_all' }, { tablename: 'probe_job' }]);
    });

    it('offboards a tenant on b: its database and role go from b', async () => {
      const result = await offboardTenant(p.tenants, { orgId: pinned, confirm: true });
      expect(result.backupFile).not.toBeNull();
      expect(await databaseExistsOn(PG_URL_B!, tenantDatabaseName(pinned))).toBe(false);
    });

    it('passes by a cluster that stopped answering since placement read it, and refuses it by name: nothing created', async () => {
      // x: mp_b again under another name, holding none of this control plane's tenants: the least loaded.
      await addCluster(p.tenants, { name: 'x', url: PG_URL_B });
      later();
      expect(await placeTenant(p.tenants, {})).toEqual({ cluster: 'x', region: null });
      // Its server goes away (its URL now leads to a port nothing listens on); placement still
      // trusts what it read a moment ago...
      const gone = p.tenants.keyring.seal(
        'postgres://postgres@127.0.0.1:1/postgres',
        clusterSealContext('x'),
      );
      await storeClusterUrl(p.control, 'x', gone);
      await p.clusters.forget('x');
      expect(await placeTenant(p.tenants, {})).toEqual({ cluster: 'x', region: null });
      // ...until an onboarding finds it down: that tenant is placed once more, on a cluster that answers.
      const elsewhere = uniqueId('ple');
      orgIds.push(elsewhere);
      const created = await onboardTenant(p.tenants, { orgId: elsewhere, name: 'Elsewhere' });
      expect(created.cluster).not.toBe('x');
      expect(p.tenants.clusterLoads?.knownUnreachable('x')).toMatch(/ECONNREFUSED/);
      expect((await placeTenant(p.tenants, {})).cluster).not.toBe('x');

      // Asked for by name, it is refused before anything is written, and audited.
      const refused = uniqueId('plr');
      await expect(onboardTenant(p.tenants, { orgId: refused, name: 'R', cluster: 'x' })).rejects.toThrow(
        /^cluster x is unreachable \(.+\); nothing was created$/,
      );
      expect(await p.control.query('SELECT id FROM organizations WHERE id = $1', [refused])).toEqual([]);
      const [audited] = await p.control.query<{ details: { code: string } }>(
        "SELECT details FROM audit_logs WHERE org_id = $1 AND action = 'tenant.onboard.refused'",
        [refused],
      );
      expect(audited?.details.code).toBe('database_unavailable');
      // Read again later, it is still down: passed by.
      later();
      expect((await placeTenant(p.tenants, {})).cluster).not.toBe('x');
      await removeCluster(p.tenants, 'x');
    });
  },
);
