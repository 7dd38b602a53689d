// What the sync benchmarks share: a tenant with one device and the edge-sales catalog created on the
// cloud, an in-process cloud server, an edge that pulled that catalog, sales recorded fast (not timed),
// and row counts that prove both sides wrote the same rows.

import { createProduct } from '../../cloud/catalog/products.ts';
import { registerDevice } from '../../cloud/devices/devices.ts';
import type { Engine } from '../../cloud/engines/engine.ts';
import type { Platform } from '../../cloud/platform.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { EdgeStore } from '../../edge/store/store.ts';
import { connect } from '../../edge/sync/connection.ts';
import { syncOn } from '../../edge/sync/sync-client.ts';
import type { ClosableSqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { lineLogger } from '../../src/log.ts';
import { createTestEdge, type TestEdge } from '../helpers/edge.ts';
import { checkInterrupted, fmt, now } from './common.ts';
import { saleInput } from './edge-sales.ts';

export const ADMIN_TOKEN = 'mpa_bench_sync_token_0123456789';

/** The edge-sales catalog (the SKUs `saleInput()` sells), created on the cloud so edges pull it. */
const PRODUCTS = [
  { sku: 'COFFEE-250G', name: 'Coffee beans 250 g', priceMinor: 699 },
  { sku: 'MILK-1L', name: 'Whole milk 1 l', priceMinor: 119 },
  { sku: 'MUG-CERAMIC', name: 'Ceramic mug', priceMinor: 1250 },
];

/** Rows one sale of `saleInput()` becomes in the tenant database. */
export const CLOUD_ROWS_PER_SALE = { sales: 1, sale_lines: 3, payments: 1, stock_movements: 3 } as const;
export type CloudTable = keyof typeof CLOUD_ROWS_PER_SALE;

export interface SyncTenant {
  orgId: string;
  /** The tenant's database through the platform's engine (closed by the caller). */
  db: ClosableSqlDatabase;
  deviceId: string;
  token: string;
}

/** Onboards `orgId` with one device in branch MAIN and the catalog; the caller closes `db`. */
export async function onboardSyncTenant(platform: Platform, orgId: string): Promise<SyncTenant> {
  await onboardTenant(platform.tenants, { orgId, name: `Sync ${orgId}`, currency: 'EUR' });
  const db = platform.engine.openDatabase(tenantDatabaseName(orgId));
  try {
    const device = await registerDevice({ db, orgId, actor: 'bench' }, { branch: 'MAIN', name: 'Till 1' });
    for (const p of PRODUCTS) await createProduct({ db, actor: 'bench' }, p);
    return { orgId, db, deviceId: device.deviceId, token: device.token };
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** The cloud in this process; its stop() leaves the platform open (the benchmark destroys it). */
export function startInProcessCloud(
  platform: Platform,
  resolver: { maxPools: number; poolSize: number },
): Promise<CloudServer> {
  return startCloudServer({
    platform: { ...platform, close: async () => {} },
    adminToken: ADMIN_TOKEN,
    port: 0,
    hostname: '127.0.0.1',
    resolver,
    migration: { intervalMs: 0, concurrency: 1 },
    logger: lineLogger('cloud', 'warn', (line) => console.error(`  cloud: ${line}`)),
  });
}

/** One `syncOn` over a fresh connection, as `modernpos edge sync --once` does. */
export async function syncOnce(cloudUrl: string, token: string, store: EdgeStore) {
  const conn = await connect(cloudUrl, token);
  try {
    return await syncOn(conn, store);
  } finally {
    conn.close();
  }
}

/** An edge of `tenant` (synchronous=NORMAL: preparing is not timed) that has pulled the catalog. */
export async function createSyncedEdge(cloudUrl: string, tenant: SyncTenant): Promise<TestEdge> {
  const edge = await createTestEdge({
    identity: { orgId: tenant.orgId, branch: 'MAIN', currency: 'EUR' },
    synchronous: 'normal',
  });
  try {
    const first = await syncOnce(cloudUrl, tenant.token, edge.store);
    if (first.pulled === 0) throw new Error('the first sync pulled no catalog');
    return edge;
  } catch (err) {
    edge.destroy();
    throw err;
  }
}

/**
 * Records `count` sales through `store.sales.recordSale`, 1,000 to an enclosing transaction (each sale's
 * own transaction becomes a savepoint), so preparing 50,000 takes seconds, not one fsync each.
 */
export function recordSales(edge: TestEdge, count: number): void {
  const sqlite = edge.store.database.sqlite;
  const chunk = sqlite.transaction((n: number) => {
    for (let i = 0; i < n; i++) {
      const outcome = edge.store.sales.recordSale(saleInput());
      if (!outcome.ok) throw new Error(`recordSale refused: ${outcome.error.code} ${outcome.error.message}`);
    }
  });
  for (let done = 0; done < count; done += 1_000) {
    checkInterrupted();
    chunk.immediate(Math.min(1_000, count - done));
  }
}

/** Rows per table of the synced sales, counted on a tenant database. */
export async function countSaleRows(
  query: (sql: string) => Promise<{ n: string | number }[]>,
): Promise<Record<CloudTable, number>> {
  const counts = {} as Record<CloudTable, number>;
  for (const table of Object.keys(CLOUD_ROWS_PER_SALE) as CloudTable[]) {
    const [r] = await query(`SELECT count(*) AS n FROM ${table}`);
    counts[table] = Number(r?.n ?? 0);
  }
  return counts;
}

/** Throws unless `counts` are exactly `sales` sales' worth of rows. */
export function checkSaleRows(where: string, counts: Record<CloudTable, number>, sales: number): void {
  for (const [table, perSale] of Object.entries(CLOUD_ROWS_PER_SALE) as [CloudTable, number][]) {
    if (counts[table] !== perSale * sales) {
      throw new Error(`${where}: ${counts[table]} rows in ${table}, expected ${perSale * sales}`);
    }
  }
}

/** Time spent per kind of work: total milliseconds and count. */
export type Timings = Map<string, { ms: number; n: number }>;

const addTiming = (timings: Timings, key: string, ms: number) => {
  const t = timings.get(key) ?? { ms: 0, n: 0 };
  t.ms += ms;
  t.n++;
  timings.set(key, t);
};

/** "1.23 s label (n×)" for the `top` largest entries. */
export const formatTimings = (timings: Timings, top = 6) =>
  [...timings]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([k, t]) => `${fmt(t.ms / 1000, 2)} s ${k} (${t.n}×)`)
    .join('; ');

/**
 * The engine with every tenant pool it opens timed: each transaction, and each statement by its
 * first words. The wrapper costs two clock readings per call; it changes no SQL.
 */
export function timedEngine(engine: Engine): { engine: Engine; timings: Timings } {
  const timings: Timings = new Map();
  const timeIt = async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const start = now();
    try {
      return await fn();
    } finally {
      addTiming(timings, key, now() - start);
    }
  };
  const label = (sql: string) => sql.replace(/\s+/g, ' ').replace(/"/g, '').slice(0, 40).trim();
  const timed = (q: SqlQueryable): SqlQueryable => ({
    query: (sql, params) => timeIt(label(sql), () => q.query(sql, params)),
    exec: (sql) => timeIt(label(sql), () => q.exec(sql)),
    queryArrays: (sql, params) => timeIt(label(sql), () => q.queryArrays(sql, params)),
  });
  return {
    timings,
    engine: {
      ...engine,
      connect(dsn, options) {
        const db = engine.connect(dsn, options);
        return {
          ...timed(db),
          transaction: (fn) => timeIt('(whole transactions)', () => db.transaction((tx) => fn(timed(tx)))),
          close: () => db.close(),
        };
      },
    },
  };
}

/** The store with its outbox reads and ack writes timed (the edge's own SQLite work during a push). */
export function timedStore(store: EdgeStore): { store: EdgeStore; timings: Timings } {
  const timings: Timings = new Map();
  const { outbox } = store;
  const timeIt = <T>(key: string, fn: () => T): T => {
    const start = now();
    try {
      return fn();
    } finally {
      addTiming(timings, key, now() - start);
    }
  };
  return {
    timings,
    store: {
      ...store,
      outbox: {
        ...outbox,
        pending: (...args) => timeIt('outbox.pending (read + JSON.parse)', () => outbox.pending(...args)),
        markAcked: (...args) => timeIt('outbox.markAcked', () => outbox.markAcked(...args)),
      },
    },
  };
}
