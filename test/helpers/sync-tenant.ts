// One tenant served by a real cloud server for a sync suite, per engine: the platform, the tenant's
// database, the server, and tills registered on it, all made in beforeAll and removed in afterAll.
import { afterAll, beforeAll } from 'vitest';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestPlatform, type EngineName, uniqueId } from './engines.ts';
import { createTill, type Till } from './sync.ts';

export interface SyncTenant {
  readonly orgId: string;
  db(): ClosableSqlDatabase;
  server(): CloudServer;
  /** The cloud's HTTP URL. */
  url(): string;
  /** A till of branch MAIN registered on the tenant, destroyed with the suite. */
  /** A till of its own device; `{ journal: false }` records like an edge from before the journal. */
  newTill(name: string, storeOptions?: { journal?: boolean }): Promise<Till>;
}

/** Registers the suite's hooks; call it at the top of a `describe`. */
export function useSyncTenant(engine: EngineName, name: string): SyncTenant {
  const orgId = uniqueId(name.toLowerCase().slice(0, 8));
  const tills: Till[] = [];
  let platform: Awaited<ReturnType<typeof createTestPlatform>> | undefined;
  let db: ClosableSqlDatabase | undefined;
  let server: CloudServer | undefined;
  beforeAll(async () => {
    platform = await createTestPlatform(engine);
    await onboardTenant(platform.tenants, { orgId, name, currency: 'EUR' });
    db = platform.engine.openDatabase(tenantDatabaseName(orgId));
    server = await startCloudServer({
      platform: { ...platform, close: async () => {} },
      adminToken: `mpa_${orgId}_${'x'.repeat(24)}`,
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
    });
  });
  afterAll(async () => {
    for (const till of tills) till.edge.destroy();
    await server?.stop().catch(() => {});
    await db?.close();
    await platform?.destroy();
  });
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is made in beforeAll`);
    return value;
  };
  return {
    orgId,
    db: () => need(db, 'the tenant database'),
    server: () => need(server, 'the cloud server'),
    url: () => `http://127.0.0.1:${need(server, 'the cloud server').port}`,
    async newTill(tillName, storeOptions) {
      const till = await createTill(
        need(db, 'the tenant database'),
        orgId,
        `${tillName} ${uniqueId()}`,
        'MAIN',
        storeOptions,
      );
      tills.push(till);
      return till;
    },
  };
}
