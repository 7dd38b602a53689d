// Upgrading a control plane made by the release before clusters (control migration 0001 only, tenants
// labelled with the admin URL's host:port or `embedded`): on first start the deployment's own server
// becomes cluster `default` (or `embedded`), every tenant names it, and they all keep working.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listClusterViews } from '../../cloud/clusters/registry.ts';
import { type EngineConfig, openPlatform, type Platform, type PlatformConfig } from '../../cloud/platform.ts';
import { createTenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { createKeyring } from '../../cloud/secrets/keyring.ts';
import { rotateTenantCredentials } from '../../cloud/tenants/credentials.ts';
import { fleetReport } from '../../cloud/tenants/fleet-report.ts';
import { migrateAllTenants } from '../../cloud/tenants/migrate.ts';
import { offboardTenant } from '../../cloud/tenants/offboard.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import { dropPostgresLeftovers, engineNames, PG_URL, PRISTINE_DIR, uniqueId } from '../helpers/engines.ts';
import { createReleaseOneControlPlane, releaseOneLabel } from '../helpers/legacy-control.ts';

describe.each(engineNames)('upgrading a control plane of the previous release on %s', (engineName) => {
  const suffix = randomBytes(4).toString('hex');
  const legacy = [uniqueId('old'), uniqueId('old')];
  const created: string[] = [];
  let root: string;
  let config: PlatformConfig;
  let platform: Platform | undefined;
  const implicit = engineName === 'postgres' ? 'default' : 'embedded';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'modernpos-upgrade-'));
    const engine: EngineConfig =
      engineName === 'postgres'
        ? { kind: 'postgres', adminUrl: PG_URL! }
        : { kind: 'embedded', dataDir: join(root, 'data'), pristineDir: PRISTINE_DIR };
    config = {
      engine,
      keyring: createKeyring(randomBytes(32)),
      backupDir: join(root, 'backups'),
      actor: 'test',
      controlDatabase: `modernpos_test_control_${suffix}`,
      templateDatabase: `modernpos_test_template_${suffix}`,
    };
    await createReleaseOneControlPlane({
      engine,
      keyring: config.keyring,
      controlDatabase: config.controlDatabase!,
      templateDatabase: config.templateDatabase!,
      orgIds: legacy,
    });
    platform = await openPlatform(config);
  });
  afterAll(async () => {
    await platform?.close();
    if (engineName === 'postgres') await dropPostgresLeftovers(config, [...legacy, ...created]);
    rmSync(root, { recursive: true, force: true });
  });

  it(`makes the deployment's own server cluster ${implicit} and files every tenant under it`, async () => {
    const p = platform!;
    const clusters = await p.control.query(
      'SELECT name, kind, status, region, admin_url_ciphertext FROM clusters',
    );
    expect(clusters).toEqual([
      {
        name: implicit,
        kind: config.engine.kind,
        status: 'active',
        region: null,
        admin_url_ciphertext: null,
      },
    ]);
    const orgs = await p.control.query<{ cluster: string; region: string | null }>(
      'SELECT cluster, region FROM organizations ORDER BY id',
    );
    expect(orgs).toEqual(legacy.map(() => ({ cluster: implicit, region: null })));
    const [adopted] = await p.control.query<{
      details: { cluster: string; labels: string[]; tenants: number };
    }>("SELECT details FROM audit_logs WHERE action = 'cluster.adopted'");
    expect(adopted!.details).toEqual({
      cluster: implicit,
      labels: [releaseOneLabel(config.engine)],
      tenants: 2,
    });
    // The upgraded cluster came from the migration: the start itself registers nothing more.
    expect(await p.control.query("SELECT id FROM audit_logs WHERE action = 'cluster.registered'")).toEqual(
      [],
    );
    const [view] = await listClusterViews(p.tenants);
    expect(view).toMatchObject({ name: implicit, tenants: 2, reachable: true, implicit: true });
  });

  it('serves the old tenants through the resolver, the fan-out report and migrate --all', async () => {
    const p = platform!;
    const resolver = createTenantResolver({
      control: p.control,
      engine: p.engine,
      keyring: p.tenants.keyring,
      latestSchemaVersion: latestVersion(p.tenants.tenantMigrations),
    });
    try {
      for (const orgId of legacy) {
        const rows = await resolver.withTenant(orgId, (db) =>
          db.query<{ value: string }>("SELECT value FROM settings WHERE key = 'currency'"),
        );
        expect(rows).toEqual([{ value: 'EUR' }]);
      }
      const report = await fleetReport(p.tenants);
      expect(report.failed).toEqual([]);
      expect(report.tenants.map((t) => t.cluster)).toEqual([implicit, implicit]);
      const migrated = await migrateAllTenants(p.tenants);
      expect(migrated).toMatchObject({ total: 2, failed: [] });

      // Rotation and offboarding of an old tenant, and a new tenant placed beside them.
      await rotateTenantCredentials(p.tenants, legacy[0]!);
      await resolver.invalidate(legacy[0]!);
      expect(await resolver.withTenant(legacy[0]!, (db) => db.query('SELECT 1 AS one'))).toEqual([
        { one: 1 },
      ]);
      const orgId = uniqueId('new');
      created.push(orgId);
      expect((await onboardTenant(p.tenants, { orgId, name: 'New' })).cluster).toBe(implicit);
      expect((await offboardTenant(p.tenants, { orgId: legacy[1]!, confirm: true })).status).toBe(
        'offboarded',
      );
    } finally {
      await resolver.close();
    }
  });

  it('opens again without changing anything', async () => {
    await platform!.close();
    platform = await openPlatform(config);
    const clusters = await platform.control.query('SELECT name FROM clusters');
    expect(clusters).toEqual([{ name: implicit }]);
  });
});
