// Two cloud processes for real: this test process writes the catalog and signals through its own
// platform, and a `modernpos cloud` child process serving the edge pokes it. The change crosses
// processes on the control plane's one channel and reaches the edge within a second. Postgres only:
// the embedded engine serves one process per data directory.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct } from '../../cloud/catalog/products.ts';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { createKeyring } from '../../cloud/secrets/keyring.ts';
import { type SyncSignals, startSyncSignals } from '../../cloud/sync/sync-signals.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { type SyncLoop, startSyncLoop } from '../../edge/sync/sync-loop.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { silentLogger } from '../../src/log.ts';
import { BIN } from '../helpers/cli.ts';
import { createTestEdge, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, NO_PG, PG_URL, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { waitFor } from '../helpers/wait.ts';

describe.skipIf(NO_PG)('catalog changes across cloud processes (needs MODERNPOS_TEST_PG_URL)', () => {
  const masterKey = randomBytes(32);
  const orgId = uniqueId();
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let child: ChildProcess | undefined;
  let output = '';
  let signals: SyncSignals;
  let edge: TestEdge;
  let loop: SyncLoop | undefined;

  beforeAll(async () => {
    p = await createTestPlatform('postgres', { keyring: createKeyring(masterKey) });
    await onboardTenant(p.tenants, { orgId, name: 'Two processes', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    signals = await startSyncSignals(
      p.notifications,
      { poke() {}, pokeAll() {}, revoke() {}, resolved() {} },
      silentLogger(),
    );
    child = spawn(
      process.execPath,
      [BIN, 'cloud', '--control-db', p.config.controlDatabase!, '--template-db', p.config.templateDatabase!],
      {
        env: {
          PATH: process.env.PATH,
          MODERNPOS_PG_URL: PG_URL,
          MODERNPOS_MASTER_KEY: masterKey.toString('base64'),
          MODERNPOS_ADMIN_TOKEN: 'mpa_two_processes_token_0123456789',
          MODERNPOS_MIGRATION_INTERVAL_SECONDS: '0',
          PORT: '0',
        },
      },
    );
    child.stdout!.on('data', (d) => {
      output += d;
    });
    child.stderr!.on('data', (d) => {
      output += d;
    });
    await waitFor(
      () => /listening on http:\/\/localhost:\d+/.test(output) || child!.exitCode !== null,
      30_000,
    );
    if (child.exitCode !== null) throw new Error(`the cloud process exited: ${output}`);
    edge = await createTestEdge({ identity: { orgId, branch: 'MAIN', currency: 'EUR' } });
  });
  afterAll(async () => {
    await loop?.stop();
    edge?.destroy();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await signals?.stop();
    await db?.close();
    await p?.destroy();
  });

  it('reaches an edge connected to the other process within a second of the write', async () => {
    const port = Number(/listening on http:\/\/localhost:(\d+)/.exec(output)![1]);
    const { token } = await registerDevice({ db, orgId, actor: 'test' }, { branch: 'MAIN', name: 'Till' });
    loop = startSyncLoop(edge.store, { cloudUrl: `http://127.0.0.1:${port}`, token });
    await waitFor(() => loop!.connected() && edge.store.outbox.status(new Date()).lastSyncAt !== null);
    for (const sku of ['A-1', 'A-2', 'A-3']) {
      const started = performance.now();
      await createProduct(
        { db, actor: 'hq', onCommitted: (cursor) => signals.catalogChanged(orgId, cursor) },
        { sku, name: `Product ${sku}`, priceMinor: 100 },
      );
      await waitFor(() => edge.store.searchProducts(sku, 1).length === 1, 5000);
      expect(performance.now() - started).toBeLessThan(1000);
    }
  });
});
