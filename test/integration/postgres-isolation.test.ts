// What only a real Postgres cluster can show: tenant roles are walled off from each other, PUBLIC
// cannot connect, concurrent migrations do not race, and the resolver keeps to its connection budget.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnectionString } from '../../cloud/control/connection-strings.ts';
import { withDatabase } from '../../cloud/engines/postgres.ts';
import { createTenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { tenantMigrationTarget } from '../../cloud/tenants/context.ts';
import { migrateTenant } from '../../cloud/tenants/migrate.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { createTestPlatform, NO_PG, PG_URL, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { withExtraMigration } from '../helpers/migrations.ts';

async function connectAs(dsn: string) {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  return client;
}

describe.skipIf(NO_PG)('tenant isolation on the real Postgres (needs MODERNPOS_TEST_PG_URL)', () => {
  let p: TestPlatform;
  const a = uniqueId('a');
  const b = uniqueId('b');
  let dsnA: string;

  beforeAll(async () => {
    p = await createTestPlatform('postgres');
    await onboardTenant(p.tenants, { orgId: a, name: 'A' });
    await onboardTenant(p.tenants, { orgId: b, name: 'B' });
    dsnA = p.tenants.keyring.open((await loadConnectionString(p.control, a))!, a);
  });
  afterAll(async () => {
    await p?.destroy();
  });

  it('gives each tenant database its own owning role', async () => {
    const rows = await p.engine
      .database('postgres')
      .query<{ owner: string }>(
        'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
        [tenantDatabaseName(a)],
      );
    expect(rows).toEqual([{ owner: tenantDatabaseName(a) }]);
    const client = await connectAs(dsnA);
    try {
      const tables = await client.query(
        "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user",
      );
      expect(tables.rows).toEqual([]);
      await client.query("INSERT INTO settings (key, value, updated_at) VALUES ('probe', 'x', now())");
    } finally {
      await client.end();
    }
  });

  it("a tenant's role cannot connect to another tenant's database", async () => {
    const intoB = withDatabase(dsnA, tenantDatabaseName(b));
    await expect(connectAs(intoB)).rejects.toThrow(/permission denied for database/);
  });

  it('PUBLIC has no CONNECT or TEMPORARY on tenant databases', async () => {
    const admin = p.engine.database('postgres');
    for (const org of [a, b]) {
      const [row] = await admin.query<{ connect: boolean; temp: boolean }>(
        `SELECT bool_or(acl.privilege_type = 'CONNECT') AS connect, bool_or(acl.privilege_type = 'TEMPORARY') AS temp
         FROM pg_database d, aclexplode(d.datacl) acl WHERE d.datname = $1 AND acl.grantee = 0`,
        [tenantDatabaseName(org)],
      );
      expect(row).toEqual({ connect: null, temp: null });
    }
    // An ordinary login role with no grants is turned away.
    const stranger = uniqueId('stranger');
    await admin.exec(`CREATE ROLE ${stranger} LOGIN PASSWORD 'stranger-pass'`);
    try {
      const url = withDatabase(PG_URL!, tenantDatabaseName(a), { user: stranger, password: 'stranger-pass' });
      await expect(connectAs(url)).rejects.toThrow(/permission denied for database/);
    } finally {
      await admin.exec(`DROP ROLE ${stranger}`);
    }
  });

  it('two concurrent migrations of one tenant do not race', async () => {
    const slow = withExtraMigration(
      p.tenants.tenantMigrations,
      'SELECT pg_sleep(0.3); CREATE TABLE race_probe (id int PRIMARY KEY);',
      'race',
    );
    const ctx = { ...p.tenants, tenantMigrations: slow };
    const target = () =>
      tenantMigrationTarget(ctx, tenantDatabaseName(a), p.engine.database(tenantDatabaseName(a)));
    const results = await Promise.all([
      migrate(target(), slow),
      migrate(target(), slow),
      migrate(target(), slow),
    ]);
    expect(results.flatMap((r) => r.applied)).toEqual([slow.migrations.length]);
    expect(results.every((r) => r.current === slow.migrations.length)).toBe(true);
    expect((await migrateTenant(ctx, a)).applied).toEqual([]);
    await p.engine.closeDatabase(tenantDatabaseName(a));
  });

  it('onboards more tenants at once than the control pool has connections, without deadlock', async () => {
    const orgs = Array.from({ length: 12 }, () => uniqueId('c'));
    const results = await Promise.all(
      orgs.map((orgId) => onboardTenant(p.tenants, { orgId, name: 'Concurrent' })),
    );
    expect(results.map((r) => r.orgId).sort()).toEqual([...orgs].sort());
    const active = await p.control.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM organizations WHERE id = ANY($1) AND status = 'active'",
      [orgs],
    );
    expect(active).toEqual([{ n: orgs.length }]);
  });

  it('the resolver keeps to its pool budget and never holds more backends than pools', async () => {
    const orgs = [a, b];
    for (let i = 0; i < 4; i++) {
      const id = uniqueId('r');
      await onboardTenant(p.tenants, { orgId: id, name: `R${i}` });
      orgs.push(id);
    }
    const resolver = createTenantResolver({
      control: p.control,
      engine: p.engine,
      keyring: p.tenants.keyring,
      maxPools: 3,
      poolSize: 1,
    });
    const admin = p.engine.database('postgres');
    let peak = 0;
    try {
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          orgs.map((org) => resolver.withTenant(org, (db) => db.query('SELECT pg_sleep(0.02)'))),
        );
        const [row] = await admin.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ANY($1) AND application_name = 'modernpos-tenant'",
          [orgs.map(tenantDatabaseName)],
        );
        peak = Math.max(peak, row!.n);
        expect(resolver.stats().pools).toBeLessThanOrEqual(3);
      }
      expect(peak).toBeLessThanOrEqual(3);
      expect(resolver.stats()).toMatchObject({ leases: 0, waiting: 0 });
      expect(resolver.stats().poolsEvicted).toBeGreaterThan(0);
    } finally {
      await resolver.close();
    }
  });
});
