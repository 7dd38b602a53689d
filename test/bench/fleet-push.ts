// Benchmark: the fleet push. BENCH_FLEET_PUSH_TENANTS (default 1,000; `--tenants N`) tenants, one
// device each, every device pushing BENCH_FLEET_PUSH_SALES (default 200) sales at once through ONE
// `modernpos cloud` child process with BENCH_FLEET_PUSH_POOLS (default 50) tenant pools of one
// connection. Figures: total sales/s beside the raw ceiling (the same sales inserted with the
// same-schema raw `unnest` over as many connections, spread over the same databases, in the same
// run; target ≥ 0.8×), the cloud's peak RSS (target ≤ 600 MiB) and the slowest device's finish time
// against the median (target ≤ 3×). The devices are raw protocol clients (idle-fleet-clients.ts
// says hello, fleet-push-clients.ts pushes as the edge does); their frames are one real edge's
// outbox, built once: every tenant is onboarded by the product and given the same catalog and the
// same device (its own token), so the same frames are valid in each tenant's database. The push runs
// twice in one run, each on a fresh cloud process and with the pushed rows emptied in between: first
// with the sync intake's bound out of reach (MODERNPOS_SYNC_MAX_INFLIGHT_MIB=4096: every frame parsed
// on arrival, as before the bound; BENCH_FLEET_PUSH_BEFORE=0 leaves it out), then as configured.
// BENCH_FLEET_PUSH_HEAP=1 also prints the cloud's V8 heap and Buffers at its largest heap.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createKeyring } from '../../cloud/secrets/keyring.ts';
import { defaultSyncLimits } from '../../cloud/sync/endpoint.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { pushFrame } from '../../edge/sync/sync-client.ts';
import { mapBounded } from '../../src/concurrency.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { formatDeviceToken, parseDeviceToken } from '../../src/domain/tenant-token.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import type { SaleDocument } from '../../src/protocol/mutations.ts';
import { createTestPlatform, type TestPlatform } from '../helpers/engines.ts';
import { type CloudProcess, startCloudProcess } from './cloud-process.ts';
import {
  adminClient,
  checkInterrupted,
  fmt,
  log,
  median,
  now,
  orgId,
  percentile,
  type Row,
  rememberNames,
  row,
  sleep,
  startSampler,
} from './common.ts';
import { pushFrames } from './fleet-push-clients.ts';
import { closeAll, connectAll, type IdleClient, newClient } from './idle-fleet-clients.ts';
import { outboxSales, rawBatches, runRawBatches } from './sync-raw.ts';
import {
  CLOUD_ROWS_PER_SALE,
  checkSaleRows,
  countSaleRows,
  createSyncedEdge,
  onboardSyncTenant,
  recordSales,
  startInProcessCloud,
} from './sync-setup.ts';

const TENANTS = Number(process.env.BENCH_FLEET_PUSH_TENANTS || 1_000);
const SALES = Number(process.env.BENCH_FLEET_PUSH_SALES || 200);
/** The cloud's connection budget: MODERNPOS_MAX_TENANT_POOLS pools of one connection; the raw side gets as many. */
const POOLS = Number(process.env.BENCH_FLEET_PUSH_POOLS || 50);
/** Tenants onboarded at once while preparing (not timed). */
const ONBOARD_CONCURRENCY = 4;
/** BENCH_FLEET_PUSH_BEFORE=0 leaves out the run with the intake's bound out of reach. */
const BEFORE = process.env.BENCH_FLEET_PUSH_BEFORE !== '0';
const RATE_TARGET = 0.8;
const RSS_TARGET_MIB = 600;
const SPREAD_TARGET = 3;
const MIB = 1024 * 1024;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User + system CPU seconds a process has used. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** What every tenant's device pushes, and what it takes to give each tenant that device. */
interface Template {
  frames: Buffer[];
  docs: SaleDocument[];
  deviceId: string;
  storeId: string;
  secret: string;
  /** Tenant 0's device, products and prices rows, as JSON (copied into every other tenant). */
  rows: { devices: string; products: string; prices: string };
}

/**
 * Tenant 0 through the product (device, catalog), its edge synced once and SALES sales recorded in its
 * outbox (not pushed), then the frames the edge would push, batched as it batches.
 */
async function prepareTemplate(platform: TestPlatform): Promise<Template> {
  const server = await startInProcessCloud(platform, { maxPools: 4, poolSize: 1 });
  const tenant = await onboardSyncTenant(platform, orgId('f', 0));
  await tenant.db.close();
  const edge = await createSyncedEdge(`http://127.0.0.1:${server.port}`, tenant).finally(() => server.stop());
  try {
    recordSales(edge, SALES);
    const { outbox } = edge.store;
    const maxBytes = Math.floor(defaultSyncLimits.maxFrameBytes * 0.9);
    const frames: Buffer[] = [];
    for (let after = 0; ; ) {
      const batch = outbox.pending(after, defaultSyncLimits.maxBatchMutations, maxBytes);
      if (batch.length === 0) break;
      frames.push(Buffer.from(pushFrame(batch)));
      after = batch.at(-1)!.seq;
    }
    const client = await adminClient(tenantDatabaseName(tenant.orgId));
    const json = async (table: string) =>
      (await client.query<{ j: string }>(`SELECT coalesce(json_agg(t), '[]')::text AS j FROM ${table} t`))
        .rows[0]!.j;
    try {
      return {
        frames,
        docs: outboxSales(edge.store.database.sqlite),
        deviceId: tenant.deviceId,
        storeId: edge.store.meta.get('store_id')!,
        secret: parseDeviceToken(tenant.token)!.secret,
        rows: {
          devices: await json('devices'),
          products: await json('products'),
          prices: await json('prices'),
        },
      };
    } finally {
      await client.end();
    }
  } finally {
    edge.destroy();
  }
}

/** Onboards tenants 1…TENANTS-1 through the product and gives each tenant 0's device, products and prices. */
async function prepareTenants(platform: TestPlatform, template: Template): Promise<void> {
  const start = now();
  let done = 1;
  await mapBounded(
    Array.from({ length: TENANTS - 1 }, (_, i) => orgId('f', i + 1)),
    ONBOARD_CONCURRENCY,
    async (id) => {
      checkInterrupted();
      await onboardTenant(platform.tenants, { orgId: id, name: `Fleet push ${id}`, currency: 'EUR' });
      const client = await adminClient(tenantDatabaseName(id));
      try {
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO products SELECT (jsonb_populate_record(NULL::products,
             p || jsonb_build_object('tax_rate_id', (SELECT id FROM tax_rates WHERE is_default LIMIT 1)))).*
           FROM jsonb_array_elements($1::jsonb) p`,
          [template.rows.products],
        );
        await client.query(
          'INSERT INTO prices SELECT (jsonb_populate_record(NULL::prices, p)).* FROM jsonb_array_elements($1::jsonb) p',
          [template.rows.prices],
        );
        await client.query(
          `INSERT INTO devices SELECT (jsonb_populate_record(NULL::devices,
             d || jsonb_build_object('branch_id', (SELECT id FROM branches WHERE code = 'MAIN')))).*
           FROM jsonb_array_elements($1::jsonb) d`,
          [template.rows.devices],
        );
        await client.query('COMMIT');
      } finally {
        await client.end();
      }
      if (++done % 100 === 0)
        log(`  onboarded ${done}/${TENANTS} tenants (${fmt((now() - start) / 1000)} s)`);
    },
  );
}

/** Rows per table of every tenant checked against SALES sales; with `truncate`, emptied again after. */
async function checkTenants(orgs: readonly string[], where: string, truncate: boolean): Promise<void> {
  await mapBounded(orgs, 8, async (id) => {
    const client = await adminClient(tenantDatabaseName(id));
    try {
      const counts = await countSaleRows(async (sql) => (await client.query(sql)).rows);
      checkSaleRows(`${where} ${id}`, counts, SALES);
      if (truncate) await client.query(`TRUNCATE ${Object.keys(CLOUD_ROWS_PER_SALE).join(', ')}`);
    } finally {
      await client.end();
    }
  });
}

/** The tables of `id`'s database that hold no rows now. */
async function emptyTables(id: string): Promise<string[]> {
  const client = await adminClient(tenantDatabaseName(id));
  try {
    const tables = await client.query<{ t: string }>(
      "SELECT quote_ident(tablename) AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
    );
    const empty: string[] = [];
    for (const { t } of tables.rows)
      if ((await client.query(`SELECT 1 FROM ${t} LIMIT 1`)).rowCount === 0) empty.push(t);
    return empty;
  } finally {
    await client.end();
  }
}

/** Undoes a push in every tenant: the tables it filled emptied, the device back to nothing applied. */
async function resetTenants(orgs: readonly string[], tables: readonly string[]): Promise<void> {
  await mapBounded(orgs, 8, async (id) => {
    const client = await adminClient(tenantDatabaseName(id));
    try {
      await client.query(`TRUNCATE ${tables.join(', ')}`);
      await client.query('UPDATE devices SET last_applied_seq = 0');
    } finally {
      await client.end();
    }
  });
}

/** The ceiling: per tenant a fresh bare connection and the same rows, at most POOLS at once. */
async function rawFleet(orgs: readonly string[], template: Template): Promise<number> {
  const batches = rawBatches(template.docs, {
    batchSize: defaultSyncLimits.maxBatchMutations,
    deviceId: template.deviceId,
    receivedAt: new Date().toISOString(),
  });
  const start = now();
  await mapBounded(orgs, POOLS, async (id) => {
    const client = await adminClient(tenantDatabaseName(id));
    try {
      await runRawBatches(client, batches);
    } finally {
      await client.end();
    }
  });
  return now() - start;
}

/** Every device pushes at once; the wall time, each device's finish time, the cloud's peak RSS and CPU. */
async function fleetPush(cloud: CloudProcess, clients: readonly IdleClient[], frames: readonly Buffer[]) {
  await sleep(500);
  const idle = cloud.memory().rss;
  const evictedBefore = await cloud.metric('modernpos_tenant_pools_evicted');
  const exact = cloud.resetPeak();
  let sampled = idle;
  const sampler = startSampler(async () => {
    sampled = Math.max(sampled, cloud.memory().rss);
  }, 10);
  // BENCH_FLEET_PUSH_HEAP=1: where the memory is, V8's heap (total reserved, used) and memory
  // outside it (Buffers), from the cloud's own /metrics once a second; the sample with the largest
  // heap reserved is kept. Off by default: the scrapes slow the push they measure.
  let heap = { total: 0, used: 0, external: 0 };
  const heapSampler =
    process.env.BENCH_FLEET_PUSH_HEAP === '1'
      ? startSampler(async () => {
          const [total, used, external] = await cloud.metrics([
            'modernpos_nodejs_heap_size_total_bytes',
            'modernpos_nodejs_heap_size_used_bytes',
            'modernpos_nodejs_external_memory_bytes',
          ]);
          if (total! > heap.total) heap = { total: total!, used: used!, external: external! };
        }, 1000)
      : undefined;
  const cpu0 = cpuOf(cloud.pid);
  const start = now();
  let outcomes: Awaited<ReturnType<typeof pushFrames>>[];
  try {
    outcomes = await Promise.all(clients.map((c) => pushFrames(c, frames)));
  } finally {
    await sampler.stop();
    await heapSampler?.stop();
  }
  const ms = now() - start;
  const cpu = cpuOf(cloud.pid) - cpu0;
  const peak = Math.max(sampled, exact ? cloud.memory().peak : 0);
  const evicted = (await cloud.metric('modernpos_tenant_pools_evicted')) - evictedBefore;
  const applied = outcomes.reduce((n, o) => n + o.applied, 0);
  // Counted from the frames' mutations: a sale's journal link carries a "seq" of its own.
  const perDevice = frames.reduce(
    (n, f) => n + (JSON.parse(f.toString()) as { mutations: unknown[] }).mutations.length,
    0,
  );
  const expected = clients.length * perDevice;
  if (applied !== expected)
    throw new Error(`the fleet had ${applied} mutations applied, ${expected} expected`);
  return { ms, idle, peak, exact, evicted, cpu, heap, finishMs: outcomes.map((o) => o.doneAt - start) };
}

export async function fleetPushBench(): Promise<Row[]> {
  for (const [name, value] of Object.entries({ TENANTS, SALES, POOLS })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`bench: ${name} must be a whole number ≥ 1`);
  }
  const masterKey = randomBytes(32);
  const platform = await createTestPlatform('postgres', { keyring: createKeyring(masterKey) });
  rememberNames(platform.config.controlDatabase!, platform.config.templateDatabase!);
  const orgs = Array.from({ length: TENANTS }, (_, i) => orgId('f', i));
  let cloud: CloudProcess | undefined;
  let clients: IdleClient[] = [];
  try {
    const prepStart = now();
    const template = await prepareTemplate(platform);
    await prepareTenants(platform, template);
    const frameBytes = template.frames.reduce((n, f) => n + f.byteLength, 0);
    log(
      `  prepared ${TENANTS} tenants in ${fmt((now() - prepStart) / 1000)} s; each device pushes ${template.frames.length} frame(s) of ${fmt(frameBytes / 1024, 0)} KiB in all (${fmt((frameBytes * TENANTS) / MIB, 0)} MiB over the fleet)`,
    );

    const rawMs = await rawFleet(orgs, template);
    await checkTenants(orgs, 'raw', true);
    log(`  raw: ${TENANTS * SALES} sales over ≤ ${POOLS} connections in ${fmt(rawMs / 1000, 2)} s`);

    // Tables the push fills (empty now): emptied again between the variants.
    const pushTables = await emptyTables(orgs[0]!);
    const schemaVersion = latestVersion(platform.tenants.tenantMigrations);
    /** One cloud process, every device welcomed, then every device pushing at once. */
    const cloudRun = async (label: string, env: Record<string, string>) => {
      // BENCH_FLEET_PUSH_NODE_OPTIONS: V8 flags for the cloud process (e.g. to see what its heap growth costs).
      const nodeOptions = process.env.BENCH_FLEET_PUSH_NODE_OPTIONS;
      cloud = await startCloudProcess(
        platform,
        masterKey,
        { maxPools: POOLS, poolSize: 1 },
        { ...env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
      );
      clients = orgs.map((id) => {
        const c = newClient(id, formatDeviceToken(id, template.secret));
        c.storeId = template.storeId;
        return c;
      });
      const connectMs = await connectAll(clients, cloud.url, schemaVersion, defaultSyncLimits.heartbeatMs, {
        limit: 200,
        timeoutMs: 300_000,
      });
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      const run = await fleetPush(cloud, clients, template.frames);
      await closeAll(clients);
      clients = [];
      const pid = cloud.pid;
      await cloud.stop();
      cloud = undefined;
      await checkTenants(orgs, `cloud (${label})`, false);
      const rate = (TENANTS * SALES) / (run.ms / 1000);
      const p50 = median(run.finishMs);
      const slowest = Math.max(...run.finishMs);
      log(
        `  ${label}: ${TENANTS} devices welcomed in ${fmt(connectMs / 1000, 1)} s (not timed), then ${SALES} sales each at once (load average ${load} before): ${fmt(run.ms / 1000, 2)} s, ${fmt(rate, 0)} sales/s; per device finish p50 ${fmt(p50 / 1000, 2)} s, p90 ${fmt(percentile(run.finishMs, 90) / 1000, 2)} s, max ${fmt(slowest / 1000, 2)} s; cloud pid ${pid} CPU ${fmt(run.cpu, 1)} s, RSS idle ${fmt(run.idle / MIB, 0)} MiB, peak ${fmt(run.peak / MIB, 0)} MiB (${run.exact ? 'kernel high-water mark' : 'sampled every 10 ms'}); ${run.evicted} tenant pools evicted during the push${run.heap.total > 0 ? `; at the largest V8 heap sampled (once a second) ${fmt(run.heap.total / MIB, 0)} MiB reserved, ${fmt(run.heap.used / MIB, 0)} MiB used, ${fmt(run.heap.external / MIB, 0)} MiB outside the heap (Buffers)` : ''}`,
      );
      return { ...run, rate, p50, slowest, spread: slowest / p50 };
    };

    const rawRate = (TENANTS * SALES) / (rawMs / 1000);
    const n = `${TENANTS} tenants × 1 device × ${SALES} sales`;
    const rows = (label: string, run: Awaited<ReturnType<typeof cloudRun>>) => [
      row(
        `fleet-push${label}: ${n} at once, one cloud process (${POOLS} pools × 1)`,
        { value: run.rate, text: `${fmt(run.rate, 0)} sales/s` },
        {
          ceiling: {
            value: rawRate,
            text: `${fmt(rawRate, 0)} sales/s raw unnest INSERT, ≤ ${POOLS} connections`,
          },
          higherIsBetter: true,
          target: { limit: RATE_TARGET * rawRate, text: `≥ ${RATE_TARGET}× raw` },
        },
      ),
      row(
        `fleet-push${label}: cloud process peak RSS during that push (idle ${fmt(run.idle / MIB, 0)} MiB)`,
        { value: run.peak / MIB, text: `${fmt(run.peak / MIB, 0)} MiB` },
        { target: { limit: RSS_TARGET_MIB, text: `≤ ${RSS_TARGET_MIB} MiB` } },
      ),
      row(
        `fleet-push${label}: slowest device against the median (p50 ${fmt(run.p50 / 1000, 2)} s, max ${fmt(run.slowest / 1000, 2)} s)`,
        { value: run.spread, text: `${fmt(run.spread, 2)}×` },
        { target: { limit: SPREAD_TARGET, text: `≤ ${SPREAD_TARGET}× median` } },
      ),
    ];
    const result: Row[] = [];
    if (BEFORE) {
      // The same push with the intake's bound out of reach: every frame parsed on arrival, as before it.
      const before = await cloudRun('unbounded intake', { MODERNPOS_SYNC_MAX_INFLIGHT_MIB: '4096' });
      result.push(...rows(' (intake unbounded: MODERNPOS_SYNC_MAX_INFLIGHT_MIB=4096)', before));
      await resetTenants(orgs, pushTables);
    }
    // BENCH_FLEET_PUSH_BOUNDS="16,24": the configured run once per intake bound (MiB), to size the default.
    const bounds = (process.env.BENCH_FLEET_PUSH_BOUNDS ?? '').split(',').filter(Boolean);
    for (const [i, mib] of bounds.entries()) {
      if (i > 0 || BEFORE) await resetTenants(orgs, pushTables);
      const run = await cloudRun(`intake ${mib} MiB`, { MODERNPOS_SYNC_MAX_INFLIGHT_MIB: mib });
      result.push(...rows(` (MODERNPOS_SYNC_MAX_INFLIGHT_MIB=${mib})`, run));
    }
    if (bounds.length === 0) result.push(...rows('', await cloudRun('default', {})));
    return result;
  } finally {
    for (const c of clients) c.ws?.terminate();
    await cloud?.stop();
    await platform.destroy();
  }
}
