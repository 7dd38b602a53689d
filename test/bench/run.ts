// `npm run bench [-- start onboarding migrate-all resolver edge-sales edge-http edge-journal register-page sync-nightly
// sync-live sync-fleet fleet-push idle reports import dashboard-page move clusters]`: runs the selected benchmarks
// (default all), the Postgres ones on MODERNPOS_BENCH_PG_URL (move and clusters also on the extra
// clusters mp_b and mp_c), drops everything they create, and ends with one table. The edge ones need
// only temp SQLite files, so Postgres is checked only when selected. The page ones (register-page,
// dashboard-page) drive Debian's Chromium. `start` times `modernpos edge` and `modernpos cloud` from
// spawn to their first /healthz, compiled and through tsx (its cloud on Postgres too).
// `npm run bench -- growth` (never part of the default run) runs sync-nightly, sync-fleet, idle and
// reports at three sizes each and prints how each figure grows (test/bench/growth.ts).
import { writeFileSync } from 'node:fs';
import {
  adminClient,
  BENCH_PG_URL,
  BENCH_PG_URL_B,
  BENCH_PG_URL_C,
  fmt,
  forgetRun,
  interrupt,
  log,
  noteRun,
  now,
  printRow,
  printTable,
  type Row,
  RUN,
  rememberNames,
  sweepDeadRuns,
  sweepLeftovers,
} from './common.ts';

const PG_NAMES = [
  'start',
  'onboarding',
  'migrate-all',
  'resolver',
  'sync-nightly',
  'sync-live',
  'sync-fleet',
  'fleet-push',
  'idle',
  'reports',
  'import',
  'dashboard-page',
  'move',
  'clusters',
] as const;
const DEFAULT_NAMES = [...PG_NAMES, 'edge-sales', 'edge-http', 'edge-journal', 'register-page'] as const;
// Runs the others at three sizes each in child processes: only when asked for by name.
const NAMES = [...DEFAULT_NAMES, 'growth'] as const;
type Name = (typeof NAMES)[number];

const args = process.argv.slice(2);
// `--tenants N`: the fleet-push benchmark's size (BENCH_FLEET_PUSH_TENANTS).
const tenantsAt = args.findIndex((a) => a === '--tenants' || a.startsWith('--tenants='));
if (tenantsAt >= 0) {
  const [flag, value] = args.splice(tenantsAt, args[tenantsAt] === '--tenants' ? 2 : 1);
  process.env.BENCH_FLEET_PUSH_TENANTS = value ?? flag!.slice('--tenants='.length);
}
const unknown = args.filter((a) => !(NAMES as readonly string[]).includes(a));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(', ')}; choose from ${NAMES.join(', ')}`);
  process.exit(2);
}
const selected = new Set<Name>(args.length > 0 ? (args as Name[]) : DEFAULT_NAMES);
const needsPostgres = PG_NAMES.some((n) => selected.has(n));

if (needsPostgres) {
  try {
    const client = await adminClient();
    await client.end();
  } catch (err) {
    const u = new URL(BENCH_PG_URL);
    const why = (err as { code?: string }).code ?? (err as Error).message;
    console.error(
      `bench: cannot reach PostgreSQL at ${u.hostname}:${u.port || '5432'} (${why}); set MODERNPOS_BENCH_PG_URL`,
    );
    process.exit(1);
  }
  // What runs killed before their own sweep left behind goes first, so it neither fills the cluster
  // nor weighs on this run's figures.
  const stale = await sweepDeadRuns();
  if (stale.length > 0) log(`bench: dropped ${stale.length} databases/roles left by killed runs`);
  noteRun();
}

// The test helpers read their Postgres URL when first imported, so they are imported only from here on.
process.env.MODERNPOS_TEST_PG_URL = BENCH_PG_URL;
process.env.MODERNPOS_TEST_PG_URL_B = BENCH_PG_URL_B;
process.env.MODERNPOS_TEST_PG_URL_C = BENCH_PG_URL_C;
let signals = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(130);
    console.error('bench: interrupted, dropping what this run created (again to abandon)');
    interrupt();
  });
}

const rows: Row[] = [];
let failed = false;
const started = now();

async function bench(name: string, fn: () => Promise<Row[]>): Promise<void> {
  log(`\n## ${name}`);
  const start = now();
  try {
    for (const r of await fn()) {
      printRow(r);
      rows.push(r);
    }
  } catch (err) {
    failed = true;
    const message = err instanceof Error ? err.message : String(err);
    console.error(`  ${name} failed: ${message}`);
    rows.push({ name, figure: `error: ${message}`, ceiling: '—', ratio: '—', target: '—', met: 'no' });
  }
  log(`  (${name}: ${fmt((now() - start) / 1000)} s including setup and teardown)`);
}

log(`ModernPOS bench run ${RUN}: ${[...selected].join(', ')}`);
try {
  // Start-up first, on a machine nothing of this run has loaded yet.
  if (selected.has('start')) {
    const { startBench } = await import('./start.ts');
    await bench('start', startBench);
  }
  // The edge benchmarks go first: they time fsyncs, which the fleet's teardown I/O would disturb.
  if (selected.has('edge-sales')) {
    const { edgeSalesBench } = await import('./edge-sales.ts');
    await bench('edge-sales', edgeSalesBench);
  }
  if (selected.has('edge-http')) {
    const { edgeHttpBench } = await import('./edge-http.ts');
    await bench('edge-http', edgeHttpBench);
  }
  if (selected.has('edge-journal')) {
    const { edgeJournalBench } = await import('./edge-journal.ts');
    await bench('edge-journal', edgeJournalBench);
  }
  if (selected.has('register-page')) {
    const { registerPageBench } = await import('./pages.ts');
    await bench('register-page', registerPageBench);
  }
  // The sync ones before the 500-tenant fleet too: its teardown I/O would disturb their commits.
  if (selected.has('sync-nightly')) {
    const { syncNightlyBench } = await import('./sync-nightly.ts');
    await bench('sync-nightly', syncNightlyBench);
  }
  if (selected.has('sync-live')) {
    const { syncLiveBench } = await import('./sync-live.ts');
    await bench('sync-live', syncLiveBench);
  }
  if (selected.has('sync-fleet')) {
    const { syncFleetBench } = await import('./sync-fleet.ts');
    await bench('sync-fleet', syncFleetBench);
  }
  if (selected.has('fleet-push')) {
    const { fleetPushBench } = await import('./fleet-push.ts');
    await bench('fleet-push', fleetPushBench);
  }
  if (selected.has('idle')) {
    const { idleDevicesBench } = await import('./idle-devices.ts');
    await bench('idle', idleDevicesBench);
  }
  if (selected.has('onboarding')) {
    const { onboardingBench } = await import('./onboarding.ts');
    await bench('onboarding', onboardingBench);
  }
  if (selected.has('migrate-all') || selected.has('resolver')) {
    const { createTestPlatform } = await import('../helpers/engines.ts');
    const { FLEET_SIZE, onboardFleet } = await import('./fleet.ts');
    const platform = await createTestPlatform('postgres');
    rememberNames(platform.config.controlDatabase!, platform.config.templateDatabase!);
    try {
      let orgIds: string[] = [];
      await bench(`fleet of ${FLEET_SIZE}`, async () => {
        const fleet = await onboardFleet(platform);
        orgIds = fleet.orgIds;
        return [fleet.row];
      });
      if (orgIds.length > 0 && selected.has('migrate-all')) {
        const { migrateAllBench } = await import('./migrate-all.ts');
        await bench('migrate-all', () => migrateAllBench(platform, orgIds));
      }
      if (orgIds.length > 0 && selected.has('resolver')) {
        const { resolverBench } = await import('./resolver.ts');
        await bench('resolver', () => resolverBench(platform, orgIds));
      }
    } finally {
      const start = now();
      await platform.destroy();
      log(`\n  fleet teardown: dropped its databases and roles in ${fmt((now() - start) / 1000)} s`);
    }
  }
  // The multi-cluster ones (mp_b and mp_c besides the main cluster): 1,000 tenants, then a big move.
  if (selected.has('clusters')) {
    const { clustersBench } = await import('./clusters.ts');
    await bench('clusters', clustersBench);
  }
  if (selected.has('move')) {
    const { tenantMoveBench } = await import('./tenant-move.ts');
    await bench('move', tenantMoveBench);
  }
  if (selected.has('import')) {
    const { legacyImportBench } = await import('./legacy-import.ts');
    await bench('import', legacyImportBench);
  }
  // Last: its million-line tenant takes a minute of bulk writes to make, which would disturb the others.
  if (selected.has('reports')) {
    const { reportsBench } = await import('./reports.ts');
    await bench('reports', reportsBench);
  }
  // Also a million-line tenant, driven through the dashboard in Chromium.
  if (selected.has('dashboard-page')) {
    const { dashboardPageBench } = await import('./pages.ts');
    await bench('dashboard-page', dashboardPageBench);
  }
  if (selected.has('growth')) {
    const { growthBench } = await import('./growth.ts');
    await bench('growth', growthBench);
  }
} finally {
  const left = needsPostgres ? await sweepLeftovers() : [];
  if (needsPostgres) forgetRun();
  if (left.length > 0) {
    failed = true;
    console.error(
      `bench: teardown missed ${left.length} databases/roles; dropped them now: ${left.join(', ')}`,
    );
  }
}

log(
  `\n## results (run ${RUN}, ${fmt((now() - started) / 1000)} s in all; ratio = cost relative to the raw ceiling)\n`,
);
printTable(rows);
// The cost-growth bench runs this script once per size and reads its rows back from this file.
if (process.env.BENCH_ROWS_FILE) writeFileSync(process.env.BENCH_ROWS_FILE, JSON.stringify(rows));
// A missed target is not a broken run: it exits 3, a run that failed (or left something behind) 1.
const missed = rows.filter((r) => r.met === 'no' && !r.figure.startsWith('error:'));
if (missed.length > 0)
  console.error(
    `bench: ${missed.length} of ${rows.length} targets missed: ${missed.map((r) => r.name).join('; ')}`,
  );
process.exit(failed ? 1 : missed.length > 0 ? 3 : 0);
