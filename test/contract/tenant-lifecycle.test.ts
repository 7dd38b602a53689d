// One contract suite for the tenant lifecycle, run on every engine: embedded PGlite always, the real
// Postgres whenever MODERNPOS_TEST_PG_URL is set (always in CI).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTrail } from '../../cloud/control/audit.ts';
import { loadConnectionString } from '../../cloud/control/connection-strings.ts';
import { getOrganization, setStatus } from '../../cloud/control/organizations.ts';
import { createTenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { verifySecret } from '../../cloud/secrets/passwords.ts';
import { rotateTenantCredentials } from '../../cloud/tenants/credentials.ts';
import { exportTenant } from '../../cloud/tenants/export.ts';
import { migrateAllTenants, migrateTenant } from '../../cloud/tenants/migrate.ts';
import { offboardTenant } from '../../cloud/tenants/offboard.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { listTenants, showTenant } from '../../cloud/tenants/queries.ts';
import { loadTenantExport } from '../../cloud/tenants/restore.ts';
import type { SqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { withExtraMigration } from '../helpers/migrations.ts';
import { waitFor } from '../helpers/wait.ts';

const badIds = ['x;drop database postgres', 'A', 'a-b', '../x', '', 'a'.repeat(49)];

describe.each(engineNames)('tenant lifecycle on %s', (engine) => {
  let p: TestPlatform;
  beforeAll(async () => {
    p = await createTestPlatform(engine);
  });
  afterAll(async () => {
    await p?.destroy();
  });

  const orgCount = async () => (await p.control.query('SELECT id FROM organizations')).length;

  it('onboards a tenant: database, schema, seed, sealed DSN, active, audited', async () => {
    const orgId = uniqueId();
    const result = await onboardTenant(p.tenants, {
      orgId,
      name: 'Acme Coffee',
      ownerEmail: 'Boss@Acme.example',
      timezone: 'Europe/Berlin',
      currency: 'EUR',
    });
    expect(result).toMatchObject({
      orgId,
      database: `modernpos_org_${orgId}`,
      ownerEmail: 'boss@acme.example',
    });
    expect(result.ownerPassword.length).toBeGreaterThanOrEqual(20);

    const org = await getOrganization(p.control, orgId);
    expect(org).toMatchObject({
      status: 'active',
      schemaVersion: p.tenants.tenantMigrations.migrations.length,
    });

    const db = p.engine.database(tenantDatabaseName(orgId));
    const branches = await db.query<{ code: string; time_zone: string }>(
      'SELECT code, time_zone FROM branches',
    );
    expect(branches).toEqual([{ code: 'MAIN', time_zone: 'Europe/Berlin' }]);
    const settings = await db.query<{ key: string; value: string }>(
      'SELECT key, value FROM settings ORDER BY key',
    );
    expect(settings).toEqual(
      expect.arrayContaining([
        { key: 'currency', value: 'EUR' },
        { key: 'time_zone', value: 'Europe/Berlin' },
      ]),
    );
    expect(await db.query('SELECT id FROM roles ORDER BY id')).toEqual(
      ['cashier', 'manager', 'owner', 'viewer'].map((id) => ({ id })),
    );
    expect(await db.query('SELECT rate_bp FROM tax_rates WHERE is_default')).toHaveLength(1);
    const [owner] = await db.query<{ password_hash: string; role_id: string }>(
      "SELECT password_hash, role_id FROM users WHERE email = 'boss@acme.example'",
    );
    expect(owner?.role_id).toBe('owner');
    expect(owner?.password_hash).toMatch(/^scrypt\$/);
    expect(owner?.password_hash).not.toContain(result.ownerPassword);
    const versions = await db.query<{ version: number }>(
      "SELECT version FROM schema_migrations WHERE component = 'tenant'",
    );
    expect(versions.length).toBe(p.tenants.tenantMigrations.migrations.length);

    const sealed = await loadConnectionString(p.control, orgId);
    expect(sealed?.keyId).toBe(p.tenants.keyring.currentKeyId);
    const actions = (await auditTrail(p.control, orgId)).map((a) => a.action);
    expect(actions).toEqual([
      'tenant.onboard.registered',
      'tenant.onboard.database_created',
      'tenant.onboard.access_granted',
      'tenant.onboard.migrated',
      'tenant.onboard.seeded',
      'tenant.onboard.credentials_stored',
      'tenant.onboard.completed',
    ]);
    const shown = await showTenant(p.tenants, orgId);
    expect(shown).toMatchObject({ orgId, status: 'active', cluster: p.engine.cluster });
    expect(shown.sizeBytes).toBeGreaterThan(0);
    expect((await listTenants(p.tenants)).map((t) => t.orgId)).toContain(orgId);
  });

  it.each(badIds)('refuses org id %j before anything is written', async (orgId) => {
    const before = await orgCount();
    await expect(onboardTenant(p.tenants, { orgId, name: 'x' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    expect(await orgCount()).toBe(before);
  });

  it('refuses bad names, time zones, currencies and emails before anything is written', async () => {
    const before = await orgCount();
    for (const bad of [
      { name: ' ' },
      { name: 'x', timezone: 'Mars/Olympus' },
      { name: 'x', currency: 'EURO' },
      { name: 'x', ownerEmail: 'not-an-email' },
    ]) {
      await expect(onboardTenant(p.tenants, { orgId: uniqueId(), ...bad })).rejects.toMatchObject({
        code: 'invalid_input',
      });
    }
    expect(await orgCount()).toBe(before);
  });

  it('answers onboarding an existing org with a conflict and changes nothing', async () => {
    const orgId = uniqueId();
    await onboardTenant(p.tenants, { orgId, name: 'First' });
    const before = await getOrganization(p.control, orgId);
    const trail = (await auditTrail(p.control, orgId)).length;
    await expect(onboardTenant(p.tenants, { orgId, name: 'Second' })).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(await getOrganization(p.control, orgId)).toEqual(before);
    expect((await auditTrail(p.control, orgId)).length).toBe(trail);
  });

  it.each(['registered', 'database_created', 'access_granted', 'migrated', 'seeded', 'credentials_stored'])(
    'finishes an onboarding that died after %s when run again',
    async (step) => {
      const orgId = uniqueId();
      const crashing = {
        ...p.tenants,
        afterStep: (s: string) => {
          if (s === step) throw new Error(`simulated crash after ${s}`);
        },
      };
      await expect(onboardTenant(crashing, { orgId, name: 'Crashy', currency: 'GBP' })).rejects.toThrow(
        /simulated crash/,
      );
      expect((await getOrganization(p.control, orgId))?.status).toBe('provisioning');
      const again = await onboardTenant(p.tenants, { orgId, name: 'Crashy' });
      expect(again.resumed).toBe(true);
      expect((await getOrganization(p.control, orgId))?.status).toBe('active');
      const db = p.engine.database(tenantDatabaseName(orgId));
      expect(await db.query("SELECT value FROM settings WHERE key = 'currency'")).toEqual([{ value: 'GBP' }]);
      expect(await db.query('SELECT code FROM branches')).toEqual([{ code: 'MAIN' }]);
      expect(await db.query('SELECT email FROM users')).toHaveLength(1);
      // The resolver can reach it with the stored credentials.
      const resolver = createTenantResolver({
        control: p.control,
        engine: p.engine,
        keyring: p.tenants.keyring,
      });
      try {
        expect(
          await resolver.withTenant(orgId, (t) => t.query('SELECT count(*)::int AS n FROM branches')),
        ).toEqual([{ n: 1 }]);
      } finally {
        await resolver.close();
      }
    },
  );

  it('runs two onboardings of one org one after the other: one creates, the other conflicts', async () => {
    const orgId = uniqueId();
    const results = await Promise.allSettled([
      onboardTenant(p.tenants, { orgId, name: 'Twice' }),
      onboardTenant(p.tenants, { orgId, name: 'Twice' }),
    ]);
    const created = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(created).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
    // The password that was printed is the one stored.
    const { ownerPassword } = (created[0] as PromiseFulfilledResult<{ ownerPassword: string }>).value;
    const [owner] = await p.engine
      .database(tenantDatabaseName(orgId))
      .query<{ password_hash: string }>('SELECT password_hash FROM users');
    expect(await verifySecret(ownerPassword, owner!.password_hash)).toBe(true);
  });

  it('exports every table into a readable .tar.gz with a manifest', async () => {
    const orgId = uniqueId();
    await onboardTenant(p.tenants, { orgId, name: 'Export Me' });
    const out = join(p.dataDir, `${orgId}.tar.gz`);
    const manifest = await exportTenant(p.tenants, orgId, out);
    expect(manifest).toMatchObject({
      format: 'modernpos-tenant-export',
      orgId,
      schemaVersion: p.tenants.tenantMigrations.migrations.length,
    });
    const files = execFileSync('tar', ['tzf', out], { encoding: 'utf8' }).trim().split('\n');
    expect(files).toEqual(expect.arrayContaining(['manifest.json', 'users.ndjson', 'branches.ndjson']));
    const dir = join(p.dataDir, `x-${orgId}`);
    mkdirSync(dir);
    execFileSync('tar', ['xzf', out, '-C', dir]);
    const users = readFileSync(join(dir, 'users.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(users).toHaveLength(manifest.tables.find((t) => t.name === 'users')!.rows);
    expect(users[0]).toMatchObject({ email: 'owner@example.com', role_id: 'owner' });
    const onDisk = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(
      onDisk.tables
        .find((t: { name: string }) => t.name === 'branches')
        .columns.map((c: { name: string }) => c.name),
    ).toContain('time_zone');
    await expect(exportTenant(p.tenants, uniqueId(), out)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('loads an export back into an empty database at the same schema version', async () => {
    const orgId = uniqueId();
    await onboardTenant(p.tenants, { orgId, name: 'Round trip', currency: 'JPY' });
    const file = join(p.dataDir, `${orgId}-roundtrip.tar.gz`);
    const manifest = await exportTenant(p.tenants, orgId, file);
    const restored = `modernpos_test_restore_${uniqueId()}`;
    await p.engine.createDatabase(restored, { template: p.config.templateDatabase! });
    try {
      const db = p.engine.openDatabase(restored);
      try {
        const loaded = await loadTenantExport(db, file);
        expect(loaded.rows).toBe(
          manifest.tables.filter((t) => t.name !== 'schema_migrations').reduce((n, t) => n + t.rows, 0),
        );
        const source = p.engine.database(tenantDatabaseName(orgId));
        for (const table of manifest.tables.map((t) => t.name)) {
          const dump = (d: SqlDatabase) =>
            d.query(`SELECT to_jsonb(t)::text AS r FROM "${table}" t ORDER BY 1`);
          expect(await dump(db), table).toEqual(await dump(source));
        }
        // A second load collides with what is there and leaves the database as it was.
        await expect(loadTenantExport(db, file)).rejects.toThrow();
        expect(await db.query('SELECT count(*)::int AS n FROM users')).toEqual([{ n: 1 }]);
      } finally {
        await db.close();
      }
    } finally {
      await p.engine.dropDatabase(restored);
    }
  });

  it('offboards only with confirmation, then backs up, drops, unregisters and keeps the row', async () => {
    const orgId = uniqueId();
    await onboardTenant(p.tenants, { orgId, name: 'Leaving' });
    await expect(offboardTenant(p.tenants, { orgId, confirm: false })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    expect((await getOrganization(p.control, orgId))?.status).toBe('active');

    const exportTo = join(p.dataDir, `${orgId}-final.tar.gz`);
    const result = await offboardTenant(p.tenants, { orgId, confirm: true, exportTo });
    expect(existsSync(exportTo)).toBe(true);
    expect(result.backupFile && existsSync(result.backupFile)).toBe(true);
    expect(await p.engine.databaseExists(tenantDatabaseName(orgId))).toBe(false);
    expect(await loadConnectionString(p.control, orgId)).toBeUndefined();
    expect((await getOrganization(p.control, orgId))?.status).toBe('offboarded');
    const again = await offboardTenant(p.tenants, { orgId, confirm: true });
    expect(again.alreadyOffboarded).toBe(true);
    await expect(onboardTenant(p.tenants, { orgId, name: 'Back again' })).rejects.toMatchObject({
      code: 'conflict',
    });
    await expect(offboardTenant(p.tenants, { orgId: uniqueId(), confirm: true })).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('finishes an offboarding that died after dropping the database', async () => {
    const orgId = uniqueId();
    await onboardTenant(p.tenants, { orgId, name: 'Half gone' });
    const crashing = {
      ...p.tenants,
      afterStep: (s: string) => {
        if (s === 'database_dropped') throw new Error('simulated crash');
      },
    };
    await expect(offboardTenant(crashing, { orgId, confirm: true })).rejects.toThrow(/simulated crash/);
    expect((await getOrganization(p.control, orgId))?.status).toBe('offboarding');
    await offboardTenant(p.tenants, { orgId, confirm: true });
    expect((await getOrganization(p.control, orgId))?.status).toBe('offboarded');
    expect(await loadConnectionString(p.control, orgId)).toBeUndefined();
  });

  it.each(['access_revoked', 'backed_up', 'database_dropped'])(
    'finishes an offboarding with --export that died after %s, keeping the export it wrote',
    async (crashStep) => {
      const orgId = uniqueId();
      await onboardTenant(p.tenants, { orgId, name: 'Export then crash' });
      const exportTo = join(p.dataDir, `${orgId}-wanted.tar.gz`);
      const crashing = {
        ...p.tenants,
        afterStep: (s: string) => {
          if (s === crashStep) throw new Error('simulated crash');
        },
      };
      await expect(offboardTenant(crashing, { orgId, confirm: true, exportTo })).rejects.toThrow(
        /simulated crash/,
      );
      expect(existsSync(exportTo)).toBe(true);
      const again = await offboardTenant(p.tenants, { orgId, confirm: true, exportTo });
      expect(again).toMatchObject({ exportFile: exportTo, exportSkipped: null });
      expect((await getOrganization(p.control, orgId))?.status).toBe('offboarded');
    },
  );

  it('says so when a re-run offboarding cannot write an export the first run never wrote', async () => {
    const orgId = uniqueId();
    await onboardTenant(p.tenants, { orgId, name: 'No export first' });
    const crashing = {
      ...p.tenants,
      afterStep: (s: string) => {
        if (s === 'database_dropped') throw new Error('simulated crash');
      },
    };
    await expect(offboardTenant(crashing, { orgId, confirm: true })).rejects.toThrow(/simulated crash/);
    const exportTo = join(p.dataDir, `${orgId}-late.tar.gz`);
    const again = await offboardTenant(p.tenants, { orgId, confirm: true, exportTo });
    expect(again.exportSkipped).toMatch(/already dropped/);
    expect(existsSync(exportTo)).toBe(false);
  });

  it('gives its slot back when opening a pool fails, and opens one pool for a burst on one tenant', async () => {
    const orgId = uniqueId();
    await onboardTenant(p.tenants, { orgId, name: 'Flaky' });
    let failures = 2;
    let connects = 0;
    const flaky = {
      ...p.engine,
      connect: (dsn: string, o: { maxConnections: number; idleTimeoutMs: number }) => {
        connects++;
        if (failures-- > 0) throw new Error('cannot open a pool right now');
        return p.engine.connect(dsn, o);
      },
    };
    const resolver = createTenantResolver({
      control: p.control,
      engine: flaky,
      keyring: p.tenants.keyring,
      maxPools: 1,
    });
    try {
      await expect(resolver.acquire(orgId)).rejects.toThrow(/right now/);
      await expect(resolver.acquire(orgId)).rejects.toThrow(/right now/);
      expect(resolver.stats()).toMatchObject({ pools: 0, leases: 0 });
      const results = await Promise.all(
        Array.from({ length: 8 }, () => resolver.withTenant(orgId, (db) => db.query('SELECT 1 AS one'))),
      );
      expect(results).toHaveLength(8);
      expect(connects).toBe(3);
      expect(resolver.stats()).toMatchObject({ pools: 1, leases: 0, poolsOpened: 1 });
    } finally {
      await resolver.close();
    }
  });

  it('keeps to its pool cap when a burst of tenants arrives at once', async () => {
    const orgs = [uniqueId(), uniqueId(), uniqueId()];
    for (const orgId of orgs) await onboardTenant(p.tenants, { orgId, name: 'Burst' });
    const resolver = createTenantResolver({
      control: p.control,
      engine: p.engine,
      keyring: p.tenants.keyring,
      maxPools: 2,
      poolSize: 1,
    });
    let peak = 0;
    try {
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          resolver.withTenant(orgs[i % orgs.length]!, async (db) => {
            peak = Math.max(peak, resolver.stats().pools);
            return db.query('SELECT 1');
          }),
        ),
      );
      expect(peak).toBeLessThanOrEqual(2);
      expect(resolver.stats()).toMatchObject({ leases: 0, waiting: 0 });
      expect(resolver.stats().pools).toBeLessThanOrEqual(2);
    } finally {
      await resolver.close();
    }
  });

  it('migrates one tenant and all tenants to a new migration, carrying on past a failure', async () => {
    const a = uniqueId();
    const b = uniqueId();
    await onboardTenant(p.tenants, { orgId: a, name: 'A' });
    await onboardTenant(p.tenants, { orgId: b, name: 'B' });
    const ctx = {
      ...p.tenants,
      tenantMigrations: withExtraMigration(
        p.tenants.tenantMigrations,
        'ALTER TABLE branches ADD COLUMN note TEXT;',
      ),
    };
    const latest = ctx.tenantMigrations.migrations.length;
    expect(await migrateTenant(ctx, a)).toMatchObject({ ok: true, to: latest, applied: [latest] });
    expect(await migrateTenant(ctx, a)).toMatchObject({ ok: true, applied: [] });

    // Break b: its database already has the column the migration adds.
    await p.engine.database(tenantDatabaseName(b)).exec('ALTER TABLE branches ADD COLUMN note TEXT');
    const progress: number[] = [];
    const summary = await migrateAllTenants(ctx, {
      concurrency: 2,
      onProgress: (done) => progress.push(done),
    });
    expect(summary.failed.map((f) => f.orgId)).toContain(b);
    expect(summary.failed.find((f) => f.orgId === b)?.error).toMatch(/note/);
    expect(progress.at(-1)).toBe(summary.total);
    expect((await getOrganization(p.control, a))?.schemaVersion).toBe(latest);
    expect((await getOrganization(p.control, b))?.schemaVersion).toBe(latest - 1);
    await expect(migrateTenant(ctx, uniqueId())).rejects.toMatchObject({ code: 'not_found' });
  });

  it('at its cap, evicts the least recently used idle pool, never a busy one, and ends idle pools', async () => {
    const orgs = [uniqueId(), uniqueId(), uniqueId(), uniqueId()];
    for (const orgId of orgs) await onboardTenant(p.tenants, { orgId, name: 'Pooled' });
    // A cap of 3 over four tenants, and pools never idle long enough to be ended meanwhile: the
    // order of use, not the order of opening, picks which pool goes. poolsOpened tells which stayed.
    const resolver = createTenantResolver({
      control: p.control,
      engine: p.engine,
      keyring: p.tenants.keyring,
      maxPools: 3,
    });
    const use = (i: number) => resolver.withTenant(orgs[i]!, (db) => db.query('SELECT 1 AS n'));
    try {
      for (const i of [0, 1, 2, 0]) await use(i); // 1 is now the least recently used
      expect(resolver.stats()).toMatchObject({ pools: 3, poolsOpened: 3, poolsEvicted: 0 });
      await use(3);
      expect(resolver.stats()).toMatchObject({ pools: 3, poolsOpened: 4, poolsEvicted: 1 });
      for (const i of [0, 2, 3]) await use(i);
      expect(resolver.stats().poolsOpened).toBe(4); // 0, 2 and 3 stayed open
      await use(1); // 1 reopens; 0 is now the least recently used and goes
      expect(resolver.stats()).toMatchObject({ pools: 3, poolsOpened: 5, poolsEvicted: 2 });
      for (const i of [2, 3, 1]) await use(i);
      expect(resolver.stats().poolsOpened).toBe(5);
      await use(0); // 2 is now the least recently used and goes
      expect(resolver.stats()).toMatchObject({ poolsOpened: 6, poolsEvicted: 3 });

      // With every pool held, a fourth tenant waits; a released pool is the one that makes room.
      const leases = await Promise.all([3, 1, 0].map((i) => resolver.acquire(orgs[i]!)));
      expect(resolver.stats()).toMatchObject({ pools: 3, leases: 3, poolsOpened: 6 });
      // Not awaited yet: a failure below must not leave its rejection unheard.
      const waiting = use(2).catch((err: unknown) => err);
      await waitFor(() => resolver.stats().waiting === 1, 10_000, 'the fourth tenant to wait');
      expect(resolver.stats()).toMatchObject({ pools: 3, poolsOpened: 6 });
      leases[1]!.release(); // 1 is the only idle pool: it goes, though 3 was used less recently
      expect(await waiting).toEqual([{ n: 1 }]);
      expect(resolver.stats()).toMatchObject({ pools: 3, leases: 2, poolsOpened: 7, poolsEvicted: 4 });
      leases[0]!.release();
      leases[2]!.release();
      for (const i of [0, 3]) await use(i);
      expect(resolver.stats().poolsOpened).toBe(7); // the held pools were never evicted
    } finally {
      await resolver.close();
    }

    const idle = createTenantResolver({
      control: p.control,
      engine: p.engine,
      keyring: p.tenants.keyring,
      idleMs: 300,
    });
    try {
      await idle.withTenant(orgs[0]!, (db) => db.query('SELECT 1'));
      expect(idle.stats().pools).toBe(1);
      await waitFor(() => idle.stats().pools === 0, 10_000, 'the idle pool to be ended');
      expect(idle.stats()).toMatchObject({ poolsEvicted: 1 });
    } finally {
      await idle.close();
    }
  });

  it('resolves active tenants only, and keeps working across a credential rotation', async () => {
    const orgId = uniqueId();
    await onboardTenant(p.tenants, { orgId, name: 'Resolved' });
    const resolver = createTenantResolver({
      control: p.control,
      engine: p.engine,
      keyring: p.tenants.keyring,
      maxPools: 2,
    });
    try {
      const lease = await resolver.acquire(orgId);
      expect(await lease.db.query('SELECT code FROM branches')).toEqual([{ code: 'MAIN' }]);
      expect(resolver.stats()).toMatchObject({ pools: 1, leases: 1 });

      await rotateTenantCredentials(
        { ...p.tenants, onTenantChanged: (id) => resolver.invalidate(id) },
        orgId,
      );
      // The lease taken before the rotation still works; new leases use the new credentials.
      expect(await lease.db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      lease.release();
      expect(await resolver.withTenant(orgId, (db) => db.query('SELECT 1 AS one'))).toEqual([{ one: 1 }]);

      await expect(resolver.acquire(uniqueId())).rejects.toMatchObject({ code: 'not_found' });
      await setStatus(p.control, orgId, 'suspended');
      await resolver.invalidate(orgId);
      await expect(resolver.acquire(orgId)).rejects.toMatchObject({ code: 'tenant_suspended' });
      await setStatus(p.control, orgId, 'active');
      await resolver.invalidate(orgId);
      await offboardTenant(
        { ...p.tenants, onTenantChanged: (id) => resolver.invalidate(id) },
        { orgId, confirm: true },
      );
      await expect(resolver.acquire(orgId)).rejects.toMatchObject({ code: 'tenant_offboarded' });
    } finally {
      await resolver.close();
    }
  });
});
