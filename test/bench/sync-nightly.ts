// Benchmark: the nightly sync of BENCH_SYNC_SALES (default 50,000) sales of 3 catalog lines and a cash
// payment from one edge into the local Postgres, connect to end of `syncOn`. The cloud runs as its own
// process, as in the field, where edge and cloud never share a CPU (BENCH_SYNC_CLOUD=inprocess keeps it
// here and prints where its SQL time goes); ceiling: a bare pg client writing the same rows (unnest,
// 500 a batch) into a second fresh tenant.
// Then end to end as a branch runs it: `modernpos edge sync --once` (the compiled bin) as a child
// process on a third tenant's edge of as many sales, spawn to exit, against the peers' bare ceiling
// (2-pg-ingest.js: tables with primary keys only, one connection, batches of 500) and PouchDB
// replicating as many sale docs to pouchdb-server (4-pouchdb-replication.js), all in the same run.
// BENCH_SYNC_E2E=0 leaves the end-to-end part out.
// The same push with journal links (each sale linked in its terminal's chain, src/journal) against
// the push without them, three interleaved rounds a side, each on its own fresh tenant
// (BENCH_JOURNAL_SALES a push, default 20,000): the check on push costs ≤ 10%.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { createKeyring } from '../../cloud/secrets/keyring.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { EdgeStore } from '../../edge/store/store.ts';
import type { SyncSummary } from '../../edge/sync/sync-client.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { TestEdge } from '../helpers/edge.ts';
import { createTestPlatform } from '../helpers/engines.ts';
import { type CloudProcess, startCloudProcess } from './cloud-process.ts';
import { adminClient, fmt, log, median, now, orgId, type Row, rememberNames, row } from './common.ts';
import { setJournalLinks } from './journal-outbox.ts';
import { bareIngest, pouchReplication } from './peers.ts';
import { syncOnceProcess, warmBin } from './sync-once-process.ts';
import { outboxSales, type RawStatement, rawBatches, runRawBatches } from './sync-raw.ts';
import {
  CLOUD_ROWS_PER_SALE,
  type CloudTable,
  checkSaleRows,
  countSaleRows,
  createSyncedEdge,
  formatTimings,
  onboardSyncTenant,
  recordSales,
  type SyncTenant,
  startInProcessCloud,
  syncOnce,
  timedEngine,
  timedStore,
} from './sync-setup.ts';

const inProcessLabel = () => (process.env.BENCH_SYNC_CLOUD === 'inprocess' ? 'in process' : 'process');

export const NIGHTLY_SALES = Number(process.env.BENCH_SYNC_SALES || 50_000);
/** The edge pushes at most this many mutations a frame; the ceiling uses the same batches. */
const BATCH = 500;
const TARGET = 0.8;
/** End to end against the bare ceiling, and against PouchDB. */
const E2E_TARGET = 0.4;
const POUCH_TARGET = 3;
/** The push with journal links against the same push without (docs/journal.md: within 10%). */
const JOURNAL_TARGET = 0.9;
/** Rounds a side of that comparison, and the sales each of its pushes carries. */
const JOURNAL_ROUNDS = 3;
const JOURNAL_SALES = Math.min(NIGHTLY_SALES, Number(process.env.BENCH_JOURNAL_SALES || 20_000));

interface Measured {
  syncMs: number;
  rawMs: [before: number, after: number];
}

/** Raw, sync, raw again (so neither side alone gets the warmer or the quieter server); checks the rows. */
async function measure(
  sync: () => Promise<SyncSummary>,
  raw: pg.Client,
  rawBatchesOf: () => RawStatement[][],
  countCloud: () => Promise<Record<CloudTable, number>>,
): Promise<Measured> {
  const rawPass = async () => {
    await raw.query(`TRUNCATE ${Object.keys(CLOUD_ROWS_PER_SALE).join(', ')}`);
    const batches = rawBatchesOf();
    const start = now();
    await runRawBatches(raw, batches);
    return now() - start;
  };
  const before = await rawPass();
  const start = now();
  const summary = await sync();
  const syncMs = now() - start;
  const after = await rawPass();
  if (summary.pushed !== NIGHTLY_SALES || summary.rejected !== 0 || summary.duplicates !== 0) {
    throw new Error(`sync summary ${JSON.stringify(summary)}; expected ${NIGHTLY_SALES} pushed`);
  }
  checkSaleRows('cloud', await countCloud(), NIGHTLY_SALES);
  checkSaleRows('raw', await countSaleRows(async (sql) => (await raw.query(sql)).rows), NIGHTLY_SALES);
  log(
    `  same rows on both sides: ${JSON.stringify(CLOUD_ROWS_PER_SALE)} per sale, ${Math.ceil(NIGHTLY_SALES / BATCH)} batches of ≤ ${BATCH}`,
  );
  return { syncMs, rawMs: [before, after] };
}

/**
 * `edge sync --once` as a child process on a fresh edge of `tenant` holding NIGHTLY_SALES sales; then
 * the two peers. Returns its two rows.
 */
async function endToEnd(url: string, tenant: SyncTenant): Promise<Row[]> {
  const edge = await createSyncedEdge(url, tenant);
  let file: string;
  try {
    recordSales(edge, NIGHTLY_SALES);
    file = edge.file;
    edge.store.close();
    await warmBin();
    const { ms, summary } = await syncOnceProcess(file, url, tenant.token);
    if (summary.pushed !== NIGHTLY_SALES || summary.rejected !== 0 || summary.duplicates !== 0) {
      throw new Error(
        `edge sync --once summary ${JSON.stringify(summary)}; expected ${NIGHTLY_SALES} pushed`,
      );
    }
    checkSaleRows('cloud (end to end)', await countSaleRows((sql) => tenant.db.query(sql)), NIGHTLY_SALES);
    const rate = NIGHTLY_SALES / (ms / 1000);
    log(
      `  edge sync --once: ${fmt(ms / 1000, 2)} s spawn to exit, ${fmt(summary.seconds, 1)} s of it syncing (${fmt(rate, 0)} sales/s)`,
    );
    const bare = await bareIngest(NIGHTLY_SALES);
    log(
      `  peers 2-pg-ingest.js (${NIGHTLY_SALES} sales, PK-only tables, 1 connection, batches of 500): ${bare.all.map((r) => `${r.label} ${fmt(r.median, 0)}`).join('; ')} sales/s`,
    );
    const pouch = await pouchReplication(NIGHTLY_SALES);
    log(`  peers 4-pouchdb-replication.js: ${pouch.label} ${fmt(pouch.median, 0)} docs/s`);
    log(
      `  end to end ${fmt(rate / bare.rate, 2)}× the bare ceiling (target ≥ ${E2E_TARGET}×), ${fmt(rate / pouch.median, 2)}× PouchDB (target ≥ ${POUCH_TARGET}×)`,
    );
    const label = `sync-nightly end to end: \`edge sync --once\` of ${NIGHTLY_SALES} sales, spawn to exit (${fmt(ms / 1000, 1)} s)`;
    const figure = { value: rate, text: `${fmt(rate, 0)} sales/s` };
    return [
      row(label, figure, {
        ceiling: { value: bare.rate, text: `${fmt(bare.rate, 0)} sales/s bare PG (${bare.label}, PK only)` },
        higherIsBetter: true,
        target: {
          limit: E2E_TARGET * bare.rate,
          text: `≥ ${E2E_TARGET}× bare: ≥ ${fmt(E2E_TARGET * bare.rate, 0)}/s`,
        },
      }),
      row(`${label} vs PouchDB`, figure, {
        ceiling: {
          value: pouch.median,
          text: `${fmt(pouch.median, 0)} docs/s PouchDB → pouchdb-server (peer)`,
        },
        higherIsBetter: true,
        target: {
          limit: POUCH_TARGET * pouch.median,
          text: `≥ ${POUCH_TARGET}× PouchDB: ≥ ${fmt(POUCH_TARGET * pouch.median, 0)}/s`,
        },
      }),
    ];
  } finally {
    edge.destroy();
  }
}

/** A fresh edge of `tenant` holding `sales` sales, each linked in its chain or none; reopened at FULL. */
async function preparedEdge(url: string, tenant: SyncTenant, linked: boolean, sales: number) {
  const edge = await createSyncedEdge(url, tenant);
  try {
    recordSales(edge, sales);
    const storeId = edge.store.meta.get('store_id');
    if (storeId === undefined) throw new Error('the edge store has no store_id');
    const links = setJournalLinks(
      edge.store.database.sqlite,
      linked ? { orgId: tenant.orgId, branch: 'MAIN', storeId } : null,
    );
    if (links !== (linked ? sales : 0)) throw new Error(`${links} sales linked`);
    return { edge, store: await edge.reopen({ synchronous: 'full' }) };
  } catch (err) {
    edge.destroy();
    throw err;
  }
}

/** One timed push of a prepared edge of `sales` sales; checks the rows and the links it left. */
async function timedPush(
  url: string,
  tenant: SyncTenant,
  store: EdgeStore,
  sales: number,
  links: number,
): Promise<number> {
  const start = now();
  const summary = await syncOnce(url, tenant.token, store);
  const ms = now() - start;
  if (summary.pushed !== sales || summary.rejected !== 0 || summary.duplicates !== 0) {
    throw new Error(`sync summary ${JSON.stringify(summary)}; expected ${sales} pushed`);
  }
  checkSaleRows(`cloud (${tenant.orgId})`, await countSaleRows((sql) => tenant.db.query(sql)), sales);
  const [recorded] = await tenant.db.query<{ n: string | number; breaks: string | number }>(
    'SELECT count(*) AS n, count(break_reason) AS breaks FROM journal_links',
  );
  if (Number(recorded?.n) !== links || Number(recorded?.breaks) !== 0) {
    throw new Error(`journal links after the push: ${JSON.stringify(recorded)}; expected ${links}, no break`);
  }
  return ms;
}

/**
 * The same push with every sale carrying its journal link against the push without links, in
 * JOURNAL_ROUNDS interleaved rounds a side (the order swapped each round), each push from its own
 * prepared edge into its own fresh tenant, so neither side always meets the warmer database. Each
 * side's figure is its median round.
 */
async function withJournal(url: string, freshTenant: () => Promise<SyncTenant>): Promise<Row> {
  const sales = JOURNAL_SALES;
  const times = { linked: [] as number[], plain: [] as number[] };
  for (let r = 0; r < JOURNAL_ROUNDS; r++) {
    for (const linked of r % 2 === 0 ? [true, false] : [false, true]) {
      const tenant = await freshTenant();
      const prepared = await preparedEdge(url, tenant, linked, sales);
      try {
        times[linked ? 'linked' : 'plain'].push(
          await timedPush(url, tenant, prepared.store, sales, linked ? sales : 0),
        );
      } finally {
        prepared.edge.destroy();
      }
    }
  }
  const rate = (t: number) => sales / (t / 1000);
  const ms = median(times.linked);
  const withoutMs = median(times.plain);
  const rounds = (xs: number[]) => xs.map((x) => fmt(x / 1000, 2)).join(', ');
  log(
    `  with journal links: ${rounds(times.linked)} s; without: ${rounds(times.plain)} s (${sales} sales a push, ${JOURNAL_ROUNDS} rounds a side, each on a fresh tenant): medians ${fmt(ms / 1000, 2)} against ${fmt(withoutMs / 1000, 2)} s, ${fmt(ms / withoutMs, 3)}× the time (target ≤ ${fmt(1 / JOURNAL_TARGET, 2)}×); every link recorded, no break`,
  );
  return row(
    `sync-nightly with journal links: ${sales} sales each linked in its terminal's chain, checked and recorded on push (median of ${JOURNAL_ROUNDS}, ${fmt(ms / 1000, 1)} s)`,
    { value: rate(ms), text: `${fmt(rate(ms), 0)} sales/s` },
    {
      ceiling: {
        value: rate(withoutMs),
        text: `${fmt(rate(withoutMs), 0)} sales/s the same push without links (median, same run)`,
      },
      higherIsBetter: true,
      target: {
        limit: JOURNAL_TARGET * rate(withoutMs),
        text: `≥ ${JOURNAL_TARGET}× without: ≥ ${fmt(JOURNAL_TARGET * rate(withoutMs), 0)}/s`,
      },
    },
  );
}

function report({ syncMs, rawMs }: Measured): Row {
  const rate = (ms: number) => NIGHTLY_SALES / (ms / 1000);
  const [before, after] = rawMs;
  log(
    `  sync ${fmt(syncMs / 1000, 2)} s (${fmt(rate(syncMs), 0)} sales/s); raw ${fmt(before / 1000, 2)} s before, ${fmt(after / 1000, 2)} s after (${fmt(rate(before), 0)}, ${fmt(rate(after), 0)} sales/s)`,
  );
  const figure = rate(syncMs);
  const ceiling = rate(Math.min(before, after));
  const limit = TARGET * ceiling;
  log(`  sync ${fmt(figure / ceiling, 2)}× the same-schema raw unnest ceiling (target ≥ ${TARGET}×)`);
  return row(
    `sync-nightly: ${NIGHTLY_SALES} sales (3 lines + 1 payment), edge at sync FULL → cloud ${inProcessLabel()} → Postgres, connect to done (${fmt(syncMs / 1000, 1)} s)`,
    { value: figure, text: `${fmt(figure, 0)} sales/s` },
    {
      ceiling: { value: ceiling, text: `${fmt(ceiling, 0)} sales/s raw unnest INSERT, batches of ${BATCH}` },
      higherIsBetter: true,
      target: { limit, text: `≥ ${TARGET}× raw: ≥ ${fmt(limit, 0)}/s (ratio ≤ ${fmt(1 / TARGET, 1)}×)` },
    },
  );
}

export async function syncNightlyBench(): Promise<Row[]> {
  if (!Number.isInteger(NIGHTLY_SALES) || NIGHTLY_SALES < BATCH) {
    throw new Error(`BENCH_SYNC_SALES must be a whole number ≥ ${BATCH}`);
  }
  if (!Number.isInteger(JOURNAL_SALES) || JOURNAL_SALES < BATCH) {
    throw new Error(`BENCH_JOURNAL_SALES must be a whole number ≥ ${BATCH}`);
  }
  const masterKey = randomBytes(32);
  const platform = await createTestPlatform('postgres', { keyring: createKeyring(masterKey) });
  const inProcess = process.env.BENCH_SYNC_CLOUD === 'inprocess';
  rememberNames(platform.config.controlDatabase!, platform.config.templateDatabase!);
  let tenant: SyncTenant | undefined;
  let e2eTenant: SyncTenant | undefined;
  const journalTenants: SyncTenant[] = [];
  let edge: TestEdge | undefined;
  let server: Awaited<ReturnType<typeof startInProcessCloud>> | undefined;
  let cloudProcess: CloudProcess | undefined;
  try {
    tenant = await onboardSyncTenant(platform, orgId('n', 0));
    const { db, token, deviceId } = tenant;
    // The ceiling's own tenant: a fresh copy of the same template.
    const rawOrg = orgId('n', 1);
    await onboardTenant(platform.tenants, { orgId: rawOrg, name: 'Nightly raw', currency: 'EUR' });
    const cloudSql = timedEngine(platform.engine);
    let url: string;
    if (inProcess) {
      server = await startInProcessCloud(
        { ...platform, engine: cloudSql.engine },
        { maxPools: 4, poolSize: 2 },
      );
      url = `http://127.0.0.1:${server.port}`;
    } else {
      cloudProcess = await startCloudProcess(platform, masterKey, { maxPools: 4, poolSize: 2 });
      url = cloudProcess.url;
    }
    edge = await createSyncedEdge(url, tenant);

    const start = now();
    recordSales(edge, NIGHTLY_SALES);
    // Without links (whatever the edge records): the journaled push is measured on its own tenant below.
    setJournalLinks(edge.store.database.sqlite, null);
    const docs = outboxSales(edge.store.database.sqlite);
    if (docs.length !== NIGHTLY_SALES) throw new Error(`${docs.length} sales in the outbox`);
    log(
      `  prepared: ${NIGHTLY_SALES} sales recorded on the edge in ${fmt((now() - start) / 1000)} s (not timed)`,
    );
    // Recorded at NORMAL to prepare fast; the agent syncs at its default, FULL (each commit fsyncs).
    const edgeSide = timedStore(await edge.reopen({ synchronous: 'full' }));

    const raw = await adminClient(tenantDatabaseName(rawOrg));
    try {
      const measured = await measure(
        async () => {
          cloudSql.timings.clear();
          return syncOnce(url, token, edgeSide.store);
        },
        raw,
        () => rawBatches(docs, { batchSize: BATCH, deviceId, receivedAt: new Date().toISOString() }),
        () => countSaleRows((sql) => db.query(sql)),
      );
      log(`  edge (synchronous=FULL) during the sync: ${formatTimings(edgeSide.timings)}`);
      if (inProcess) log(`  cloud SQL during the sync: ${formatTimings(cloudSql.timings, 16)}`);
      else log('  (cloud in its own process; BENCH_SYNC_CLOUD=inprocess shows where its SQL time goes)');
      const rows = [report(measured)];
      let next = 10;
      rows.push(
        await withJournal(url, async () => {
          const fresh = await onboardSyncTenant(platform, orgId('n', next++));
          journalTenants.push(fresh);
          return fresh;
        }),
      );
      if (process.env.BENCH_SYNC_E2E !== '0') {
        e2eTenant = await onboardSyncTenant(platform, orgId('n', 2));
        rows.push(...(await endToEnd(url, e2eTenant)));
      }
      return rows;
    } finally {
      await raw.end();
    }
  } finally {
    edge?.destroy();
    await server?.stop();
    await cloudProcess?.stop();
    await tenant?.db.close();
    await e2eTenant?.db.close();
    for (const t of journalTenants) await t.db.close();
    await platform.destroy();
  }
}
