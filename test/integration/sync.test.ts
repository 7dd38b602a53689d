// Sync end to end on every engine: a real cloud server, an edge store that sold offline, and the
// WebSocket between them. Sales arrive once, the catalog comes down, refusals are clear.
import { copyFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../../cloud/catalog/products.ts';
import { registerDevice, revokeDevice } from '../../cloud/devices/devices.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { connect } from '../../edge/sync/connection.ts';
import { SyncRefused, syncOn } from '../../edge/sync/sync-client.ts';
import { startSyncLoop } from '../../edge/sync/sync-loop.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestEdge, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { waitFor } from '../helpers/wait.ts';

describe.each(engineNames)('sync on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer;
  let db: ClosableSqlDatabase;
  let edge: TestEdge;
  let token: string;
  let deviceId: string;
  const orgId = uniqueId();
  const url = () => `http://127.0.0.1:${server.port}`;
  const sync = async (t = token) => {
    const conn = await connect(url(), t);
    try {
      return await syncOn(conn, edge.store);
    } finally {
      conn.close();
    }
  };
  const cloudSales = () =>
    db.query<{ id: string; receipt_no: string; total_minor: number }>(
      'SELECT id, receipt_no, total_minor FROM sales ORDER BY receipt_no',
    );

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await onboardTenant(p.tenants, { orgId, name: 'Sync', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    ({ token, deviceId } = await registerDevice(
      { db, orgId, actor: 'test' },
      { branch: 'MAIN', name: 'Till 1' },
    ));
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: 'mpa_sync_test_token_0123456789',
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 4, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
    });
    edge = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
  });
  afterAll(async () => {
    edge?.destroy();
    await server?.stop().catch(() => {});
    await db?.close();
    await p?.destroy();
  });

  it('pushes what the edge sold offline and pulls the catalog down', async () => {
    const sold = edge.store.sales.recordSale({
      terminal: 'T1',
      lines: [{ name: 'Gift wrap', unitPriceMinor: 150, qtyMilli: 1000, taxRateBp: 2000 }],
      payments: [{ method: 'cash', amountMinor: 200 }],
    });
    if (!sold.ok) throw new Error(sold.error.message);
    await createProduct({ db, actor: 'hq' }, { sku: 'COFFEE-250', name: 'Coffee 250 g', priceMinor: 650 });

    const summary = await sync();
    expect(summary).toMatchObject({ pushed: 1, duplicates: 0, rejected: 0 });
    expect(summary.pulled).toBeGreaterThanOrEqual(11);
    expect(await cloudSales()).toEqual([
      { id: sold.value.value.id, receipt_no: 'MAIN-T1-000001', total_minor: sold.value.value.totalMinor },
    ]);
    expect(edge.store.outbox.status(new Date())).toMatchObject({
      pending: 0,
      lastError: null,
      lastSyncAt: expect.any(String),
    });
    // The catalog is local now: a sale by SKU takes the HQ price.
    expect(edge.store.searchProducts('COFFEE', 5)).toEqual([
      expect.objectContaining({ sku: 'COFFEE-250', priceMinor: 650 }),
    ]);
    const byCatalog = edge.store.sales.recordSale({
      terminal: 'T1',
      lines: [{ sku: 'COFFEE-250', qtyMilli: 1000 }],
      payments: [{ method: 'card', amountMinor: 650 }],
    });
    expect(byCatalog.ok).toBe(true);
    expect(await sync()).toEqual({ pushed: 1, duplicates: 0, rejected: 0, held: 0, pulled: 0 });
    expect((await cloudSales()).map((s) => s.receipt_no)).toEqual(['MAIN-T1-000001', 'MAIN-T1-000002']);
    const [device] = await db.query<{ last_applied_seq: number }>(
      'SELECT last_applied_seq FROM devices WHERE id = $1',
      [deviceId],
    );
    expect(Number(device!.last_applied_seq)).toBe(2);
  });

  it('resends what it never saw acknowledged, and the cloud answers duplicate', async () => {
    edge.store.database.sqlite.exec('UPDATE outbox SET acked_at = NULL, result = NULL');
    // Not taken on trust from the welcome: resent, checked against the ids the cloud holds, duplicate.
    expect(await sync()).toEqual({ pushed: 0, duplicates: 2, rejected: 0, held: 0, pulled: 0 });
    expect(await cloudSales()).toHaveLength(2);
    expect(edge.store.outbox.status(new Date()).pending).toBe(0);
  });

  it('delivers a catalog change to a connected edge within a second, also through another cloud process', async () => {
    // On Postgres a second cloud process (its own platform, its own listening connection) serves the
    // edge; the embedded engine serves one process per data directory, so there it is the same one.
    const other = engine === 'postgres' ? await p.reopen() : undefined;
    const second = other
      ? await startCloudServer({
          platform: other,
          adminToken: 'mpa_sync_test_token_0123456789',
          port: 0,
          hostname: '127.0.0.1',
          resolver: { maxPools: 4, poolSize: 1 },
          migration: { intervalMs: 0, concurrency: 1 },
        })
      : server;
    const live = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
    const device = await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Till 2' });
    const loop = startSyncLoop(live.store, {
      cloudUrl: `http://127.0.0.1:${second.port}`,
      token: device.token,
    });
    try {
      await waitFor(() => loop.connected() && live.store.searchProducts('COFFEE', 5).length === 1);
      const started = performance.now();
      await createProduct(
        { db, actor: 'hq', onCommitted: (cursor) => server.signals.catalogChanged(orgId, cursor) },
        { sku: 'TEA-1', name: 'Green tea', priceMinor: 300 },
      );
      await waitFor(() => live.store.searchProducts('TEA-1', 5).length === 1);
      expect(performance.now() - started).toBeLessThan(1000);
      // A revocation through the first process ends the connection held by the second at once.
      await revokeDevice(
        { db, orgId, actor: 'hq', onRevoked: (id) => server.signals.deviceRevoked(orgId, id) },
        device.deviceId,
      );
      await waitFor(() => !loop.connected(), 2000);
      await waitFor(
        () => /unauthorized|revoked/.test(live.store.outbox.status(new Date()).lastError ?? ''),
        2000,
      );
    } finally {
      await loop.stop();
      live.destroy();
      if (second !== server) await second.stop();
    }
  });

  it('refuses a second edge database using the same token, before its sales could pass for duplicates', async () => {
    const twin = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
    try {
      twin.store.sales.recordSale({
        terminal: 'T1',
        lines: [{ name: 'X', unitPriceMinor: 1, qtyMilli: 1000, taxRateBp: 0 }],
        payments: [{ method: 'cash', amountMinor: 1 }],
      });
      const conn = await connect(url(), token);
      await expect(syncOn(conn, twin.store)).rejects.toMatchObject({ code: 'device_in_use', retry: false });
      expect(twin.store.outbox.status(new Date()).pending).toBe(1);
      expect(await cloudSales()).toHaveLength(2);
    } finally {
      twin.destroy();
    }
  });

  it('answers an edge on an unsupported schema with upgrade_required and leaves its outbox alone', async () => {
    const old = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
    try {
      old.store.sales.recordSale({
        terminal: 'T7',
        lines: [{ name: 'X', unitPriceMinor: 1, qtyMilli: 1000, taxRateBp: 0 }],
        payments: [{ method: 'cash', amountMinor: 1 }],
      });
      old.store.database.tenantSchemaVersion = 1;
      const conn = await connect(url(), token);
      await expect(syncOn(conn, old.store)).rejects.toMatchObject({ code: 'upgrade_required', retry: false });
      expect(await conn.closed).toMatchObject({ closeCode: 4002 });
      expect(old.store.outbox.status(new Date()).pending).toBe(1);
    } finally {
      old.destroy();
    }
  });

  it('pushes again what a cloud restored to an earlier point lost', async () => {
    const sold = edge.store.sales.recordSale({
      terminal: 'T1',
      lines: [{ name: 'Lost', unitPriceMinor: 5, qtyMilli: 1000, taxRateBp: 0 }],
      payments: [{ method: 'cash', amountMinor: 5 }],
    });
    if (!sold.ok) throw new Error(sold.error.message);
    expect(await sync()).toMatchObject({ pushed: 1 });
    // The tenant database goes back in time: the last sale and the device's position with it.
    const id = sold.value.value.id;
    for (const table of ['sale_lines', 'payments'])
      await db.query(`DELETE FROM ${table} WHERE sale_id = $1`, [id]);
    await db.query('DELETE FROM sales WHERE id = $1', [id]);
    await db.query('UPDATE devices SET last_applied_seq = last_applied_seq - 1 WHERE id = $1', [deviceId]);
    await db.query('UPDATE terminals SET last_sale_no = last_sale_no - 1 WHERE device_id = $1', [deviceId]);
    expect(await sync()).toMatchObject({ pushed: 1 });
    expect((await cloudSales()).map((s) => s.id)).toContain(id);
  });

  it('refuses a cloned edge database that reuses sequence numbers, and loses nothing', async () => {
    const clone = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
    try {
      // An image of the till: the same database file, the same store id, the same token.
      clone.store.close();
      edge.store.database.sqlite.pragma('wal_checkpoint(TRUNCATE)');
      copyFileSync(edge.file, clone.file);
      await clone.reopen();
      const sell = (store: TestEdge['store'], name: string) =>
        store.sales.recordSale({
          terminal: 'T1',
          lines: [{ name, unitPriceMinor: 7, qtyMilli: 1000, taxRateBp: 0 }],
          payments: [{ method: 'cash', amountMinor: 7 }],
        });
      sell(edge.store, 'Original');
      sell(clone.store, 'Clone');
      expect(await sync()).toMatchObject({ pushed: 1 });
      const conn = await connect(url(), token);
      await expect(syncOn(conn, clone.store)).rejects.toMatchObject({ code: 'seq_conflict', retry: false });
      expect(clone.store.outbox.status(new Date()).pending).toBe(1);
    } finally {
      clone.destroy();
    }
  });

  it('refuses an unknown token, a token of another tenant and a revoked device, and keeps the outbox', async () => {
    const before = (await cloudSales()).length;
    const forged = `${token.slice(0, -32)}${'A'.repeat(32)}`;
    await expect(sync(forged)).rejects.toMatchObject({ code: 'unauthorized', retry: false });
    const spliced = token.replace(`mpd_${orgId}_`, 'mpd_someoneelse_');
    await expect(sync(spliced)).rejects.toBeInstanceOf(SyncRefused);
    await revokeDevice({ db, orgId, actor: 'test' }, deviceId);
    edge.store.sales.recordSale({
      terminal: 'T1',
      lines: [{ name: 'X', unitPriceMinor: 1, qtyMilli: 1000, taxRateBp: 0 }],
      payments: [{ method: 'cash', amountMinor: 1 }],
    });
    await expect(sync()).rejects.toMatchObject({ code: 'unauthorized' });
    expect(edge.store.outbox.status(new Date()).pending).toBe(1);
    expect(await cloudSales()).toHaveLength(before);
  });
});
