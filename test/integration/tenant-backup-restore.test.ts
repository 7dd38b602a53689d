// Per-tenant backup and restore on real clusters (the main one and mp_b), with live edges syncing
// through a real cloud server: after a restore to an earlier point every edge pushes again what the
// restored database no longer has, and every sale it answered is in the cloud exactly once. An edge
// that pruned what it would have to resend refuses with `seq_gap` and the restore names its device.
// Refusals (no --replace, another tenant's backup, not a backup, a newer schema, --as taken) write
// nothing and are audited.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create as createTar, extract } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../../cloud/catalog/products.ts';
import { endMove, reportMoveLag } from '../../cloud/clusters/move-progress.ts';
import { addCluster, listClusterViews } from '../../cloud/clusters/registry.ts';
import { auditTrail } from '../../cloud/control/audit.ts';
import { getOrganization } from '../../cloud/control/organizations.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { backupTenant } from '../../cloud/tenants/backup.ts';
import { dumpTable, listTables } from '../../cloud/tenants/export.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { restoreTenant } from '../../cloud/tenants/restore-tenant.ts';
import { seedTenant } from '../../cloud/tenants/seed.ts';
import { SyncRefused } from '../../edge/sync/sync-client.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { postgresMigrationTarget } from '../../src/migrate/targets.ts';
import { dropClusterLeftovers, NO_CLUSTERS, PG_URL_B } from '../helpers/clusters.ts';
import { createTestPlatform, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import {
  cloudSalesOf,
  createTill,
  deviceState,
  sortById,
  startRelay,
  syncTill,
  syncUntilDone,
  type Till,
} from '../helpers/sync.ts';
import { waitFor } from '../helpers/wait.ts';

const TOKEN = 'mpa_backup_restore_token_0123456789';

describe.skipIf(NO_CLUSTERS)(
  `tenant backup and restore on real clusters ${NO_CLUSTERS ? `(skipped: ${NO_CLUSTERS})` : ''}`,
  () => {
    let p: TestPlatform;
    let server: CloudServer;
    const orgB = uniqueId('brb');
    const copy = uniqueId('brc');
    const old = uniqueId('bro');
    let db: ClosableSqlDatabase;
    const tills: Till[] = [];
    const url = () => `http://127.0.0.1:${server.port}`;
    const dbs: ClosableSqlDatabase[] = [];

    const newTill = async (name: string) => {
      const till = await createTill(db, orgB, `${name} ${uniqueId()}`);
      tills.push(till);
      return till;
    };
    const salesCount = async (database: ClosableSqlDatabase) =>
      Number((await database.query<{ n: number }>('SELECT count(*)::int AS n FROM sales'))[0]?.n);

    beforeAll(async () => {
      p = await createTestPlatform('postgres');
      await addCluster(p.tenants, { name: 'b', url: PG_URL_B });
      await onboardTenant(p.tenants, { orgId: orgB, name: 'Backup B', currency: 'EUR', cluster: 'b' });
      db = (await p.clusters.engine('b')).openDatabase(tenantDatabaseName(orgB));
      server = await startCloudServer({
        platform: { ...p, close: async () => {} },
        adminToken: TOKEN,
        port: 0,
        hostname: '127.0.0.1',
        resolver: { maxPools: 4, poolSize: 2 },
        migration: { intervalMs: 0, concurrency: 1 },
      });
    });
    afterAll(async () => {
      for (const t of tills) t.edge.destroy();
      await server?.stop().catch(() => {});
      await db?.close();
      for (const d of dbs) await d.close();
      await dropClusterLeftovers(PG_URL_B!, p.config.templateDatabase!, [orgB, copy]);
      await p?.engine.dropDatabase(`modernpos_test_old_${old}`).catch(() => {});
      await p?.destroy();
    });

    it('restores over a tenant on another cluster: each live edge pushes again what the backup lacks, nothing twice', async () => {
      const a = await newTill('A');
      const b = await newTill('B');
      a.sell(4);
      b.sell(3);
      await syncUntilDone(url(), a);
      await syncUntilDone(url(), b);

      const backup = await backupTenant(p.tenants, orgB);
      expect(backup.cluster).toBe('b');
      expect(backup.file.startsWith(p.config.backupDir)).toBe(true);
      expect(backup.devices).toEqual(
        expect.arrayContaining([
          { deviceId: a.deviceId, lastAppliedSeq: 4 },
          { deviceId: b.deviceId, lastAppliedSeq: 3 },
        ]),
      );

      // After the backup: more sales reach the cloud, then the tenant is restored to the backup.
      a.sell(5);
      b.sell(2);
      await syncUntilDone(url(), a);
      await syncUntilDone(url(), b);
      expect(await cloudSalesOf(db, a.deviceId)).toHaveLength(9);

      const restored = await restoreTenant(p.tenants, { orgId: orgB, from: backup.file, replace: true });
      expect(restored).toMatchObject({ mode: 'replaced', cluster: 'b', devicesLost: [] });
      expect(restored.devices).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ deviceId: a.deviceId, restoredSeq: 4, previousSeq: 9, toResend: 5 }),
          expect.objectContaining({ deviceId: b.deviceId, restoredSeq: 3, previousSeq: 5, toResend: 2 }),
        ]),
      );
      expect(await cloudSalesOf(db, a.deviceId)).toHaveLength(4);
      expect((await deviceState(db, a.deviceId)).lastAppliedSeq).toBe(4);

      // The edges sync as they would anyway: the welcome's lastAppliedSeq is behind what they hold as
      // acknowledged, so they push those entries again; one more sale each rides along.
      a.sell(1);
      b.sell(1);
      expect(await syncTill(url(), a)).toMatchObject({ pushed: 6, duplicates: 0, rejected: 0 });
      expect(await syncTill(url(), b)).toMatchObject({ pushed: 3, duplicates: 0, rejected: 0 });
      for (const till of [a, b]) {
        expect(await cloudSalesOf(db, till.deviceId)).toEqual(sortById(till.answered));
        expect(till.pending()).toBe(0);
        expect((await deviceState(db, till.deviceId)).lastAppliedSeq).toBe(till.outbox().at(-1)!.seq);
      }
      const trail = await auditTrail(p.control, orgB);
      expect(trail.map((e) => e.action)).toEqual(
        expect.arrayContaining(['tenant.backed_up', 'tenant.restored']),
      );
    });

    it('a restore while edges keep selling and syncing: afterwards every answered sale is in the cloud exactly once', async () => {
      const d = await newTill('D');
      const e = await newTill('E');
      d.sell(3);
      e.sell(3);
      await syncUntilDone(url(), d);
      await syncUntilDone(url(), e);
      const backup = await backupTenant(p.tenants, orgB);
      let stop = false;
      const failures: unknown[] = [];
      const selling = async (till: Till) => {
        while (!stop) {
          till.sell(1);
          await syncTill(url(), till).catch((err: unknown) => failures.push(err));
        }
      };
      const loops = [selling(d), selling(e)];
      const applied = async (till: Till) => (await deviceState(db, till.deviceId)).lastAppliedSeq;
      try {
        await waitFor(
          async () => (await applied(d)) >= 6 && (await applied(e)) >= 6,
          60_000,
          'pushes past the backup',
        );
        const restored = await restoreTenant(p.tenants, { orgId: orgB, from: backup.file, replace: true });
        const rewound = new Map(restored.devices.map((x) => [x.deviceId, x]));
        expect(rewound.get(d.deviceId)).toMatchObject({ restoredSeq: 3 });
        expect(rewound.get(d.deviceId)!.toResend).toBeGreaterThan(0);
        // The edges carry on through the restore and push again past where they stood before it.
        await waitFor(
          async () =>
            (await applied(d)) > (rewound.get(d.deviceId)!.previousSeq ?? 0) &&
            (await applied(e)) > (rewound.get(e.deviceId)!.previousSeq ?? 0),
          60_000,
          'the edges to push again past the restore',
        );
      } finally {
        stop = true;
        await Promise.all(loops);
      }
      await syncUntilDone(url(), d);
      await syncUntilDone(url(), e);
      for (const till of [d, e]) {
        expect(await cloudSalesOf(db, till.deviceId)).toEqual(sortById(till.answered));
        expect((await deviceState(db, till.deviceId)).lastAppliedSeq).toBe(till.outbox().at(-1)!.seq);
      }
      // Retryable pauses at most (a push that waited on the swap): never a refusal an edge cannot get past.
      expect(failures.filter((f) => f instanceof SyncRefused && !f.retry)).toEqual([]);
    });

    it('catalog changes made after the backup are undone on the edges too, and later ones still reach them', async () => {
      const f = await newTill('F');
      await syncUntilDone(url(), f);
      const backup = await backupTenant(p.tenants, orgB);
      const sku = `SKU-${uniqueId()}`;
      await createProduct({ db, actor: 'test' }, { sku, name: 'After the backup', priceMinor: 500 });
      await syncTill(url(), f);
      const onEdge = (s: string) =>
        f.edge.store.database.sqlite.prepare('SELECT name FROM products WHERE sku = ?').pluck().get(s);
      expect(onEdge(sku)).toBe('After the backup');

      const restored = await restoreTenant(p.tenants, { orgId: orgB, from: backup.file, replace: true });
      expect(restored.catalogReannounced).toBeGreaterThanOrEqual(1);
      await syncTill(url(), f);
      expect(onEdge(sku)).toBeUndefined();

      const later = `SKU-${uniqueId()}`;
      await createProduct({ db, actor: 'test' }, { sku: later, name: 'After the restore', priceMinor: 700 });
      await syncTill(url(), f);
      expect(onEdge(later)).toBe('After the restore');
    });

    it('an edge that pruned what it must resend refuses with seq_gap, and the restore named its device', async () => {
      const c = await newTill('C');
      c.sell(2);
      await syncUntilDone(url(), c);
      const backup = await backupTenant(p.tenants, orgB);
      c.sell(3);
      await syncUntilDone(url(), c);
      // Past its retention the edge deletes acknowledged entries: these can no longer be pushed.
      expect(c.edge.store.outbox.prune(new Date(Date.now() + 60_000).toISOString())).toBe(5);

      const restored = await restoreTenant(p.tenants, { orgId: orgB, from: backup.file, replace: true });
      expect(restored.devices).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ deviceId: c.deviceId, restoredSeq: 2, toResend: 3 }),
        ]),
      );
      // Told at its first hello, before it has anything new to push.
      const atHello = await syncTill(url(), c).catch((err: unknown) => err);
      expect(atHello).toMatchObject({ code: 'seq_gap', retry: false });
      c.sell(1);
      const refused = await syncTill(url(), c).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(SyncRefused);
      expect(refused).toMatchObject({ code: 'seq_gap', retry: false });
      expect((refused as Error).message).toMatch(/only up to seq 2.*pruned/);
      // Nothing was taken for something else: the cloud still holds exactly the backup's two sales.
      expect(await cloudSalesOf(db, c.deviceId)).toEqual(sortById(c.answered.slice(0, 2)));
      expect((await deviceState(db, c.deviceId)).lastAppliedSeq).toBe(2);
    });

    it('refuses without --replace, another tenant’s backup, a file that is not one, a newer schema, a table missing, and backing up an unknown tenant: nothing written, audited', async () => {
      const backup = await backupTenant(p.tenants, orgB);
      const before = await salesCount(db);
      const refuse = async (input: Parameters<typeof restoreTenant>[1], code: string, message: RegExp) => {
        const err = await restoreTenant(p.tenants, input).catch((e: unknown) => e);
        expect(err).toMatchObject({ code });
        expect((err as Error).message).toMatch(message);
      };
      await refuse({ orgId: orgB, from: backup.file }, 'conflict', /exists.*--replace.*--as NEW_ORG/);
      await refuse({ orgId: 'someone', from: backup.file, replace: true }, 'invalid_input', /is a backup of/);
      const junk = join(p.dataDir, 'junk.tar.gz');
      writeFileSync(junk, 'not a backup');
      await refuse(
        { orgId: orgB, from: junk, replace: true },
        'invalid_input',
        /not a ModernPOS tenant export or backup/,
      );
      await refuse(
        { orgId: orgB, from: join(p.dataDir, 'missing.tar.gz'), replace: true },
        'invalid_input',
        /not a ModernPOS/,
      );

      // The same backup claiming a schema from the future.
      const dir = join(p.dataDir, 'future');
      mkdirSync(dir);
      await extract({ file: backup.file, cwd: dir });
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, schemaVersion: 999 }));
      const future = join(p.dataDir, 'future.tar.gz');
      await createTar({ gzip: true, file: future, cwd: dir }, [
        'manifest.json',
        ...manifest.tables.map((t: { file: string }) => t.file),
      ]);
      await refuse({ orgId: orgB, from: future, replace: true }, 'conflict', /schema 999.*newer release/);
      // A table missing from the file: refused before a new tenant is made for it.
      const short = join(p.dataDir, 'short.tar.gz');
      writeFileSync(
        join(dir, 'manifest.json'),
        JSON.stringify({
          ...manifest,
          tables: manifest.tables.filter((t: { name: string }) => t.name !== 'terminals'),
        }),
      );
      await createTar({ gzip: true, file: short, cwd: dir }, [
        'manifest.json',
        ...manifest.tables
          .filter((t: { name: string }) => t.name !== 'terminals')
          .map((t: { file: string }) => t.file),
      ]);
      const never = uniqueId('never');
      await refuse(
        { orgId: orgB, from: short, as: never },
        'invalid_input',
        /does not match tenant schema.*missing terminals/,
      );
      expect(await getOrganization(p.control, never)).toBeUndefined();
      await refuse({ orgId: orgB, from: backup.file, as: orgB }, 'invalid_input', /--replace/);

      const unknown = uniqueId('nobody');
      await expect(backupTenant(p.tenants, unknown)).rejects.toMatchObject({ code: 'not_found' });
      expect((await auditTrail(p.control, unknown)).map((e) => e.action)).toEqual(['tenant.backup.refused']);

      expect(await salesCount(db)).toBe(before);
      const refusals = (await auditTrail(p.control, orgB)).filter(
        (e) => e.action === 'tenant.restore.refused',
      );
      expect(refusals.length).toBeGreaterThanOrEqual(5);
      expect((await auditTrail(p.control, 'someone')).map((e) => e.action)).toContain(
        'tenant.restore.refused',
      );
    });

    it('restores as a new tenant on the main cluster, and refuses --as when that org exists', async () => {
      const backup = await backupTenant(p.tenants, orgB);
      const restored = await restoreTenant(p.tenants, {
        orgId: orgB,
        from: backup.file,
        as: copy,
        cluster: 'default',
      });
      expect(restored).toMatchObject({ mode: 'created', orgId: copy, backupOf: orgB, cluster: 'default' });
      const org = await getOrganization(p.control, copy);
      expect(org).toMatchObject({ status: 'active', cluster: 'default' });
      const copyDb = p.engine.openDatabase(tenantDatabaseName(copy));
      dbs.push(copyDb);
      expect(await salesCount(copyDb)).toBe(await salesCount(db));

      const again = await restoreTenant(p.tenants, { orgId: orgB, from: backup.file, as: copy }).catch(
        (e: unknown) => e,
      );
      expect(again).toMatchObject({ code: 'conflict' });
      expect((again as Error).message).toMatch(/already exists/);
    });

    it('the admin API backs up into the backup directory and restores from a name there, never a path', async () => {
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const made = await fetch(`${url()}/admin/tenants/${orgB}/backup`, { method: 'POST', headers });
      expect(made.status).toBe(201);
      const { file } = (await made.json()) as { file: string };
      const name = file.slice(file.lastIndexOf('/') + 1);
      const refused = await fetch(`${url()}/admin/tenants/${orgB}/restore`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ file: name }),
      });
      expect(refused.status).toBe(409);
      const outside = await fetch(`${url()}/admin/tenants/${orgB}/restore`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ file: '../../etc/passwd', replace: true }),
      });
      expect(outside.status).toBe(400);
      const ok = await fetch(`${url()}/admin/tenants/${orgB}/restore`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ file: name, replace: true }),
      });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ mode: 'replaced', orgId: orgB });
    });

    it('restores a backup of an older tenant schema as the tenant it was of, migrated to this build’s', async () => {
      // A backup as a release one schema behind wrote it: a database at that version, seeded, dumped.
      const previous = latestVersion(p.tenants.tenantMigrations) - 1;
      const scratch = `modernpos_test_old_${old}`;
      await p.engine.createDatabase(scratch);
      const oldDb = p.engine.openDatabase(scratch);
      const dir = join(p.dataDir, 'old');
      mkdirSync(dir);
      let tables: Awaited<ReturnType<typeof dumpTable>>[] = [];
      try {
        await migrate(postgresMigrationTarget(oldDb, {}), p.tenants.tenantMigrations, {
          toVersion: previous,
        });
        await seedTenant(
          oldDb,
          { name: 'Old', onboarding: { ownerEmail: 'old@example.com', timezone: 'UTC', currency: 'EUR' } },
          'scrypt$not-a-real-hash',
        );
        tables = await oldDb.transaction(async (tx) => {
          const out = [];
          for (const t of await listTables(tx)) out.push(await dumpTable(tx, t, dir));
          return out;
        });
      } finally {
        await oldDb.close();
      }
      writeFileSync(
        join(dir, 'manifest.json'),
        JSON.stringify({
          format: 'modernpos-tenant-export',
          formatVersion: 1,
          orgId: old,
          name: 'Old',
          schemaVersion: previous,
          exportedAt: new Date().toISOString(),
          tables,
          devices: [],
        }),
      );
      const file = join(p.dataDir, 'old.tar.gz');
      await createTar({ gzip: true, file, cwd: dir }, ['manifest.json', ...tables.map((t) => t.file)]);

      const restored = await restoreTenant(p.tenants, { orgId: old, from: file, cluster: 'b' });
      expect(restored).toMatchObject({
        mode: 'created',
        orgId: old,
        cluster: 'b',
        backupSchemaVersion: previous,
        schemaVersion: previous + 1,
      });
      const oldOnB = (await p.clusters.engine('b')).openDatabase(tenantDatabaseName(old));
      dbs.push(oldOnB);
      const users = await oldOnB.query<{ email: string }>('SELECT email FROM users');
      expect(users.map((u) => u.email)).toEqual(['old@example.com']);
      expect(await getOrganization(p.control, old)).toMatchObject({
        schemaVersion: previous + 1,
        status: 'active',
      });
      expect(await p.engine.databaseExists(`modernpos_restore_${old}`)).toBe(false);
    });

    it('/metrics carries each cluster, the lifecycle counts from the audit trail and a move’s lag', async () => {
      const relay = await startRelay(Number(new URL(PG_URL_B!).port || 5432));
      const relayPort = new URL(relay.url).port;
      await addCluster(p.tenants, {
        name: 'flaky',
        url: `postgres://postgres@127.0.0.1:${relayPort}/postgres`,
      });
      await p.clusters.engine('flaky').then((e) => e.close());
      await relay.close();
      reportMoveLag({ orgId: orgB, from: 'b', to: 'default', lagBytes: 4096, step: 'catching_up' });
      // One tenant recorded behind this build's schema: the backlog of its cluster.
      await p.control.query('UPDATE organizations SET schema_version = schema_version - 1 WHERE id = $1', [
        orgB,
      ]);
      try {
        const res = await fetch(`${url()}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
        expect(res.status).toBe(200);
        const text = await res.text();
        const value = (series: string) => {
          const line = text.split('\n').find((l) => l.startsWith(`${series} `));
          return line === undefined ? undefined : Number(line.slice(series.length + 1));
        };
        expect(value('modernpos_cluster_reachable{cluster="b"}')).toBe(1);
        expect(value('modernpos_cluster_reachable{cluster="default"}')).toBe(1);
        expect(value('modernpos_cluster_reachable{cluster="flaky"}')).toBe(0);
        const count = async (sql: string) => Number((await p.control.query<{ n: number }>(sql))[0]?.n ?? 0);
        expect(value('modernpos_cluster_tenants{cluster="b"}')).toBe(
          await count(
            "SELECT count(*)::int AS n FROM organizations WHERE cluster = 'b' AND status <> 'offboarded'",
          ),
        );
        expect(value('modernpos_cluster_tenants{cluster="b"}')).toBeGreaterThanOrEqual(1);
        expect(value('modernpos_cluster_size_bytes{cluster="b"}')).toBeGreaterThan(0);
        expect(value('modernpos_cluster_size_bytes{cluster="flaky"}')).toBeUndefined();
        expect(value('modernpos_cluster_backends{cluster="b"}')).toBeGreaterThan(0);
        expect(value('modernpos_cluster_schema_backlog{cluster="b"}')).toBe(1);
        expect(value('modernpos_cluster_schema_backlog{cluster="default"}')).toBe(0);
        // `cluster list --json` carries the same per cluster.
        const b = (await listClusterViews(p.tenants)).find((c) => c.name === 'b');
        expect(b).toMatchObject({
          schemaBacklog: 1,
          moves: [expect.objectContaining({ orgId: orgB, lagBytes: 4096 })],
        });
        for (const [series, action] of [
          ['modernpos_tenant_operations{operation="restore",outcome="completed"}', 'tenant.restored'],
          ['modernpos_tenant_operations{operation="restore",outcome="refused"}', 'tenant.restore.refused'],
          ['modernpos_tenant_operations{operation="backup",outcome="completed"}', 'tenant.backed_up'],
          [
            'modernpos_tenant_operations{operation="onboard",outcome="completed"}',
            'tenant.onboard.completed',
          ],
        ] as const) {
          expect(value(series)).toBe(
            await count(`SELECT count(*)::int AS n FROM audit_logs WHERE action = '${action}'`),
          );
        }
        expect(
          value('modernpos_tenant_operations{operation="onboard",outcome="completed"}'),
        ).toBeGreaterThanOrEqual(1);
        expect(value('modernpos_tenant_operations{operation="move",outcome="failed"}')).toBe(0);
        expect(
          value(`modernpos_tenant_move_lag_bytes{org="${orgB}",from="b",to="default",step="catching_up"}`),
        ).toBe(4096);
      } finally {
        endMove(orgB);
        await p.control.query('UPDATE organizations SET schema_version = schema_version + 1 WHERE id = $1', [
          orgB,
        ]);
      }
    });
  },
);
