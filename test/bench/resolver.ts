// Benchmark 3: the tenant resolver (maxPools 50, poolSize 1) hit round-robin across the whole fleet by
// 8 workers: backend connections must stay ≤ 50. Ceiling: the same SELECT 1 on one pre-opened pg.Pool
// (and, for reference, on a fresh connection each time, since 500 tenants round-robin never hit a warm pool).
import pg from 'pg';
import { loadConnectionString } from '../../cloud/control/connection-strings.ts';
import { createTenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { TestPlatform } from '../helpers/engines.ts';
import { adminClient, checkInterrupted, fmt, log, now, type Row, row, startSampler } from './common.ts';

const MAX_POOLS = 50;
const POOL_SIZE = 1;
const WORKERS = 8;
const ROUNDS = 3;
const SAMPLE_MS = 50;
/** Fresh connections timed for the cold reference (each costs a backend start on the server). */
const COLD_CONNECTS = 400;
const MiB = 1024 * 1024;

/** Runs `total` jobs on `WORKERS` workers; returns operations per second. */
async function throughput(total: number, job: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < total) {
      checkInterrupted();
      await job(next++);
    }
  };
  const start = now();
  await Promise.all(Array.from({ length: WORKERS }, worker));
  return total / ((now() - start) / 1000);
}

export async function resolverBench(platform: TestPlatform, orgIds: readonly string[]): Promise<Row[]> {
  const databases = orgIds.map(tenantDatabaseName);
  const monitor = await adminClient();
  const resolver = createTenantResolver({
    control: platform.control,
    engine: platform.engine,
    keyring: platform.config.keyring,
    maxPools: MAX_POOLS,
    poolSize: POOL_SIZE,
  });
  const rssBefore = process.memoryUsage().rss;
  let peakBackends = 0;
  let peakRss = rssBefore;
  const sampler = startSampler(async () => {
    const res = await monitor.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ANY($1::text[])',
      [databases],
    );
    peakBackends = Math.max(peakBackends, res.rows[0]?.n ?? 0);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, SAMPLE_MS);
  const total = ROUNDS * orgIds.length;
  let rate: number;
  let poolsOpened: number;
  try {
    rate = await throughput(total, (i) =>
      resolver.withTenant(orgIds[i % orgIds.length]!, async (db) => {
        await db.query('SELECT 1');
      }),
    );
    poolsOpened = resolver.stats().poolsOpened;
  } finally {
    await resolver.close();
    await sampler.stop();
    await monitor.end();
  }

  // Ceiling: one pg.Pool to one tenant database, as its own role, with a connection per worker opened first.
  const sealed = await loadConnectionString(platform.control, orgIds[0]!);
  if (!sealed) throw new Error(`no stored DSN for ${orgIds[0]}`);
  const pool = new pg.Pool({
    connectionString: platform.config.keyring.open(sealed, orgIds[0]!),
    max: WORKERS,
  });
  pool.on('error', () => {});
  let ceiling: number;
  try {
    await Promise.all(Array.from({ length: WORKERS }, () => pool.query('SELECT pg_sleep(0.05)')));
    ceiling = await throughput(Math.max(total, 5_000), async () => {
      await pool.query('SELECT 1');
    });
  } finally {
    await pool.end();
  }

  // Second reference: a cold acquire at its cheapest, a fresh pg.Client (SCRAM, tenant role) + SELECT 1.
  const coldCount = Math.min(total, COLD_CONNECTS);
  const dsns: string[] = [];
  for (const id of orgIds.slice(0, coldCount)) {
    const s = await loadConnectionString(platform.control, id);
    if (s) dsns.push(platform.config.keyring.open(s, id));
  }
  const cold = await throughput(coldCount, async (i) => {
    const client = new pg.Client({ connectionString: dsns[i % dsns.length]! });
    client.on('error', () => {});
    await client.connect();
    try {
      await client.query('SELECT 1');
    } finally {
      await client.end();
    }
  });

  log(
    `  resolver: ${total} acquires (${ROUNDS} rounds × ${orgIds.length} tenants, ${WORKERS} workers), ` +
      `${poolsOpened} pools opened; peak ${peakBackends} backends; RSS ${fmt(rssBefore / MiB, 0)} → peak ${fmt(peakRss / MiB, 0)} MiB`,
  );
  const config = `maxPools ${MAX_POOLS}, poolSize ${POOL_SIZE}, ${WORKERS} workers`;
  return [
    row(
      `resolver: acquire + SELECT 1 round-robin over ${orgIds.length} tenants (${config})`,
      { value: rate, text: `${fmt(rate, 0)} acq/s` },
      { ceiling: { value: ceiling, text: `${fmt(ceiling, 0)} q/s on one pg.Pool` }, higherIsBetter: true },
    ),
    row(
      `resolver: same, against connecting afresh each time (${coldCount} raw connects)`,
      { value: rate, text: `${fmt(rate, 0)} acq/s` },
      {
        ceiling: { value: cold, text: `${fmt(cold, 0)}/s fresh pg.Client + SELECT 1` },
        higherIsBetter: true,
      },
    ),
    row(
      `resolver: peak tenant backends (sampled every ${SAMPLE_MS} ms)`,
      { value: peakBackends, text: `${peakBackends}` },
      { target: { limit: MAX_POOLS * POOL_SIZE, text: `≤ ${MAX_POOLS * POOL_SIZE}` } },
    ),
    row('resolver: peak process RSS', {
      value: peakRss,
      text: `${fmt(peakRss / MiB, 0)} MiB (+${fmt((peakRss - rssBefore) / MiB, 0)})`,
    }),
  ];
}
