// Benchmark: BENCH_SYNC_TENANTS (default 100) tenants, one device each with BENCH_SYNC_FLEET_SALES
// (default 200) sales, all syncing at once against one `modernpos cloud` child process: aggregate
// sales/s and that process's peak RSS. Ceiling: bare pg clients writing the same rows, same budget.
import { randomBytes } from 'node:crypto';
import { createKeyring } from '../../cloud/secrets/keyring.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { SaleDocument } from '../../src/protocol/mutations.ts';
import type { TestEdge } from '../helpers/edge.ts';
import { createTestPlatform } from '../helpers/engines.ts';
import { type CloudProcess, startCloudProcess } from './cloud-process.ts';
import {
  adminClient,
  checkInterrupted,
  fmt,
  log,
  now,
  orgId,
  type Row,
  rememberNames,
  row,
  sleep,
  startSampler,
} from './common.ts';
import { outboxSales, rawBatches, runRawBatches } from './sync-raw.ts';
import {
  CLOUD_ROWS_PER_SALE,
  checkSaleRows,
  countSaleRows,
  createSyncedEdge,
  onboardSyncTenant,
  recordSales,
  startInProcessCloud,
  syncOnce,
} from './sync-setup.ts';

const TENANTS = Number(process.env.BENCH_SYNC_TENANTS || 100);
const SALES = Number(process.env.BENCH_SYNC_FLEET_SALES || 200);
/** The cloud's connection budget: MODERNPOS_MAX_TENANT_POOLS pools of one connection (the raw side gets as many). */
const POOLS = Number(process.env.BENCH_SYNC_FLEET_POOLS || 50);
const MIB = 1024 * 1024;

interface Member {
  orgId: string;
  deviceId: string;
  token: string;
  edge: TestEdge;
  docs: SaleDocument[];
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Onboards the fleet, has each edge pull its catalog from an in-process cloud, then records the sales. */
async function prepare(
  platform: Awaited<ReturnType<typeof createTestPlatform>>,
  members: Member[],
): Promise<void> {
  const start = now();
  const server = await startInProcessCloud(platform, { maxPools: 4, poolSize: 1 });
  try {
    for (let i = 0; i < TENANTS; i++) {
      checkInterrupted();
      const tenant = await onboardSyncTenant(platform, orgId('s', i));
      await tenant.db.close();
      const edge = await createSyncedEdge(`http://127.0.0.1:${server.port}`, tenant);
      const { orgId: id, deviceId, token } = tenant;
      const member: Member = { orgId: id, deviceId, token, edge, docs: [] };
      members.push(member);
      recordSales(edge, SALES);
      member.docs = outboxSales(edge.store.database.sqlite);
      if ((i + 1) % 25 === 0)
        log(`  prepared ${i + 1}/${TENANTS} tenants (${fmt((now() - start) / 1000)} s)`);
    }
  } finally {
    await server.stop();
  }
}

/** The ceiling: per tenant a fresh bare connection and the same rows, at most POOLS at once; then emptied again. */
async function rawFleet(members: readonly Member[]): Promise<number> {
  const receivedAt = new Date().toISOString();
  const work = members.map((m) => ({
    database: tenantDatabaseName(m.orgId),
    batches: rawBatches(m.docs, { batchSize: 500, deviceId: m.deviceId, receivedAt }),
  }));
  const start = now();
  await eachLimited(work, POOLS, async ({ database, batches }) => {
    const client = await adminClient(database);
    try {
      await runRawBatches(client, batches);
    } finally {
      await client.end();
    }
  });
  const ms = now() - start;
  await eachLimited(members, 8, async (m) => {
    const client = await adminClient(tenantDatabaseName(m.orgId));
    try {
      checkSaleRows(
        `raw ${m.orgId}`,
        await countSaleRows(async (sql) => (await client.query(sql)).rows),
        SALES,
      );
      await client.query(`TRUNCATE ${Object.keys(CLOUD_ROWS_PER_SALE).join(', ')}`);
    } finally {
      await client.end();
    }
  });
  return ms;
}

/** Every edge syncs at once; returns the wall time and the cloud's peak and idle RSS. */
async function fleetSync(cloud: CloudProcess, members: readonly Member[]) {
  await sleep(1_000); // the start-up migration pass
  const idle = cloud.memory().rss;
  const evictedBefore = await cloud.metric('modernpos_tenant_pools_evicted');
  const exact = cloud.resetPeak();
  let sampled = idle;
  const sampler = startSampler(async () => {
    sampled = Math.max(sampled, cloud.memory().rss);
  }, 10);
  const start = now();
  let summaries: Awaited<ReturnType<typeof syncOnce>>[];
  try {
    summaries = await Promise.all(members.map((m) => syncOnce(cloud.url, m.token, m.edge.store)));
  } finally {
    await sampler.stop();
  }
  const ms = now() - start;
  const peak = Math.max(sampled, exact ? cloud.memory().peak : 0);
  const evicted = (await cloud.metric('modernpos_tenant_pools_evicted')) - evictedBefore;
  const pushed = summaries.reduce((n, s) => n + s.pushed, 0);
  if (pushed !== TENANTS * SALES || summaries.some((s) => s.rejected + s.duplicates > 0)) {
    throw new Error(`the fleet pushed ${pushed} sales (${TENANTS * SALES} expected) or had refusals`);
  }
  return { ms, idle, peak, exact, evicted };
}

export async function syncFleetBench(): Promise<Row[]> {
  for (const [name, value] of Object.entries({ TENANTS, SALES, POOLS })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`bench: ${name} must be a whole number ≥ 1`);
  }
  const masterKey = randomBytes(32);
  const platform = await createTestPlatform('postgres', { keyring: createKeyring(masterKey) });
  rememberNames(platform.config.controlDatabase!, platform.config.templateDatabase!);
  const members: Member[] = [];
  let cloud: CloudProcess | undefined;
  try {
    await prepare(platform, members);
    // 100 edges share this process's one thread and disk here (in the field each is its own
    // machine), so they sync at synchronous=NORMAL; the nightly row shows one edge at FULL.
    const rawMs = await rawFleet(members);
    cloud = await startCloudProcess(platform, masterKey, { maxPools: POOLS, poolSize: 1 });
    const run = await fleetSync(cloud, members);
    await eachLimited(members, 8, async (m) => {
      const client = await adminClient(tenantDatabaseName(m.orgId));
      try {
        checkSaleRows(
          `cloud ${m.orgId}`,
          await countSaleRows(async (sql) => (await client.query(sql)).rows),
          SALES,
        );
      } finally {
        await client.end();
      }
    });
    const total = TENANTS * SALES;
    const rate = total / (run.ms / 1000);
    const rawRate = total / (rawMs / 1000);
    log(
      `  ${TENANTS} edges × ${SALES} sales at once: ${fmt(run.ms / 1000, 2)} s (${fmt(rate, 0)} sales/s); raw ${fmt(rawMs / 1000, 2)} s (${fmt(rawRate, 0)} sales/s); cloud pid ${cloud.pid} RSS idle ${fmt(run.idle / MIB, 0)} MiB, peak ${fmt(run.peak / MIB, 0)} MiB (${run.exact ? 'kernel high-water mark' : 'sampled every 10 ms'}); ${run.evicted} tenant pools evicted during the run`,
    );
    return [
      row(
        `sync-fleet: ${TENANTS} tenants × 1 device × ${SALES} sales syncing at once, one cloud process (${POOLS} pools × 1)`,
        { value: rate, text: `${fmt(rate, 0)} sales/s` },
        {
          ceiling: {
            value: rawRate,
            text: `${fmt(rawRate, 0)} sales/s raw unnest INSERT, ≤ ${POOLS} connections`,
          },
          higherIsBetter: true,
        },
      ),
      row(`sync-fleet: cloud process peak RSS during that run (idle ${fmt(run.idle / MIB, 0)} MiB)`, {
        value: run.peak,
        text: `${fmt(run.peak / MIB, 0)} MiB`,
      }),
    ];
  } finally {
    await cloud?.stop();
    for (const m of members) m.edge.destroy();
    await platform.destroy();
  }
}
