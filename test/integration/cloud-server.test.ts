// The cloud service as `modernpos cloud` runs it: a real HTTP listener, the background migration
// job bringing out-of-date tenants forward, and a clean stop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getOrganization } from '../../cloud/control/organizations.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { withExtraMigration } from '../helpers/migrations.ts';

const TOKEN = 'mpa_server_test_token_0123456789';

describe.each(engineNames)('cloud server on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer | undefined;
  const orgId = uniqueId();

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId, name: 'Behind' });
  });
  afterAll(async () => {
    await server?.stop().catch(() => {});
    await p?.destroy();
  });

  it('serves HTTP, migrates out-of-date tenants in the background, and stops cleanly', async () => {
    // A newer build: one more tenant migration than the tenant has.
    const tenants = {
      ...p.tenants,
      tenantMigrations: withExtraMigration(p.tenants.tenantMigrations, 'CREATE TABLE job_probe (id int);'),
    };
    server = await startCloudServer({
      platform: { ...p, tenants, close: async () => {} },
      adminToken: TOKEN,
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 4, poolSize: 1 },
      migration: { intervalMs: 0, concurrency: 2 },
    });
    const health = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });

    await server.migrationJob.runOnce();
    expect(server.migrationJob.stats()).toMatchObject({ backlog: 0, failures: [] });
    expect((await getOrganization(p.control, orgId))?.schemaVersion).toBe(
      tenants.tenantMigrations.migrations.length,
    );

    const listed = await fetch(`http://127.0.0.1:${server.port}/admin/tenants`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(listed.status).toBe(200);
    const metrics = await (
      await fetch(`http://127.0.0.1:${server.port}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).text();
    expect(metrics).toMatch(/modernpos_migration_backlog 0/);

    await server.stop();
    server = undefined;
    await expect(fetch(health.url)).rejects.toThrow();
  });
});
