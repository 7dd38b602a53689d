// Benchmark: moving a tenant of ~1,000,000 sale lines online from mp_b to mp_c (`moveTenant`, logical
// replication) while 3 edges keep selling and pushing through a real cloud server over ws. Figures:
// the longest push delayed by the move (target ≤ 1 s), the whole move beside a raw
// `pg_dump -Fc | pg_restore` of the same database between the same clusters, timed before and after
// the move (the faster is the ceiling; target ≤ 2×), and the sales lost and duplicated, counted
// exactly against every sale the edges recorded (target 0 and 0).
// The data is made by set-based SQL in the tenant database (generateReportData of the reports
// benchmark: a year of sales, lines, payments, shifts, refunds), not timed.
import { addCluster } from '../../cloud/clusters/registry.ts';
import { withDatabase } from '../../cloud/engines/postgres.ts';
import type { CloudServer } from '../../cloud/server.ts';
import { moveTenant } from '../../cloud/tenants/move/move.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { SyncRefused } from '../../edge/sync/sync-client.ts';
import { type ClosableSqlDatabase, quoteIdent } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { holdMpCUp } from '../helpers/clusters.ts';
import { createTestPlatform } from '../helpers/engines.ts';
import { dropMoveLeftovers } from '../helpers/move.ts';
import { cloudSalesOf, createTill, syncTill, type Till } from '../helpers/sync.ts';
import {
  adminClient,
  BENCH_PG_URL,
  BENCH_PG_URL_B,
  BENCH_PG_URL_C,
  checkInterrupted,
  fmt,
  log,
  median,
  now,
  orgId,
  percentile,
  RAW_DB_PREFIX,
  type Row,
  rememberNames,
  row,
  shell,
  sleep,
} from './common.ts';
import { generateReportData } from './reports.ts';
import { startInProcessCloud } from './sync-setup.ts';

const LINES = Number(process.env.BENCH_MOVE_LINES || 1_000_000);
const EDGES = 3;
const TARGET_PUSH_MS = 1_000;
const TARGET_RATIO = 2;
/** Pause between one edge's sales: each edge sells and pushes about 20 times a second. */
const SELL_EVERY_MS = 50;

/** One sale as its edge saw it: recorded at `at`, acknowledged by the cloud `ms` later. */
interface Push {
  at: number;
  ms: number;
  refusals: number;
}

/** Sells one sale at a time and pushes it at once (fresh ws session, as `edge sync --once`), retrying as the agent does. */
function keepSelling(url: string, till: Till): { stop(): Promise<Push[]>; refusals: () => string[] } {
  const pushes: Push[] = [];
  const refusals: string[] = [];
  let selling = true;
  const loop = (async () => {
    while (selling) {
      till.sell(1);
      const at = now();
      let refused = 0;
      for (;;) {
        try {
          await syncTill(url, till);
          if (till.pending() === 0) break;
        } catch (err) {
          refused++;
          refusals.push(err instanceof SyncRefused ? err.code : String((err as Error).message ?? err));
          // The agent waits what the cloud asks (tenant_unavailable: retryAfterMs), else a short backoff.
          await sleep(err instanceof SyncRefused && err.retryAfterMs ? err.retryAfterMs : 100);
        }
      }
      pushes.push({ at, ms: now() - at, refusals: refused });
      await sleep(SELL_EVERY_MS);
    }
  })();
  return {
    async stop() {
      selling = false;
      await loop;
      return pushes;
    },
    refusals: () => refusals,
  };
}

export async function tenantMoveBench(): Promise<Row[]> {
  if (!Number.isInteger(LINES) || LINES < 3) throw new Error('BENCH_MOVE_LINES must be a whole number ≥ 3');
  // A concurrent test run's cluster-outage suite stops mp_c; it waits for this shared lock.
  const releaseMpC = await holdMpCUp();
  // Seconds before each recorded step of the move since the previous one (where its time goes).
  const steps: string[] = [];
  let mark = 0;
  const platform = await createTestPlatform('postgres', {
    afterStep: (step) => {
      if (mark === 0) return;
      steps.push(`${step} ${fmt((now() - mark) / 1000, 2)}`);
      mark = now();
    },
  });
  const template = platform.config.templateDatabase!;
  rememberNames(platform.config.controlDatabase!, template);
  const org = orgId('mv', 0);
  const db = tenantDatabaseName(org);
  const rawOnC = `${RAW_DB_PREFIX}moved`;
  const adminC = await adminClient(undefined, BENCH_PG_URL_C);
  const handles: ClosableSqlDatabase[] = [];
  const tills: Till[] = [];
  let server: CloudServer | undefined;
  try {
    await addCluster(platform.tenants, { name: 'b', url: BENCH_PG_URL_B });
    await addCluster(platform.tenants, { name: 'c', url: BENCH_PG_URL_C });
    await onboardTenant(platform.tenants, { orgId: org, name: 'Bench move', currency: 'EUR', cluster: 'b' });

    const t = now();
    const gen = await adminClient(db, BENCH_PG_URL_B);
    let generated: Awaited<ReturnType<typeof generateReportData>>;
    try {
      generated = await generateReportData(gen, LINES);
    } finally {
      await gen.end();
    }
    const size = await adminClient(undefined, BENCH_PG_URL_B).then(async (c) => {
      try {
        const r = await c.query<{ s: string }>('SELECT pg_database_size($1) AS s', [db]);
        return Number(r.rows[0]?.s ?? 0);
      } finally {
        await c.end();
      }
    });
    log(
      `  tenant on mp_b: ${generated.lines} sale lines, ${generated.sales} sales, ${generated.payments} payments ` +
        `(${fmt(size / 2 ** 20)} MiB) made in ${fmt((now() - t) / 1000)} s by set-based SQL`,
    );

    // The ceiling: the same database from mp_b into a fresh database on mp_c, no platform code.
    const rawMs: number[] = [];
    const raw = async () => {
      checkInterrupted();
      await adminC.query(`DROP DATABASE IF EXISTS ${quoteIdent(rawOnC)} WITH (FORCE)`);
      await adminC.query(`CREATE DATABASE ${quoteIdent(rawOnC)}`);
      const start = now();
      await shell(
        `pg_dump -Fc --dbname='${withDatabase(BENCH_PG_URL_B, db)}' | pg_restore --no-owner --no-acl --dbname='${withDatabase(BENCH_PG_URL_C, rawOnC)}'`,
      );
      rawMs.push(now() - start);
      await adminC.query(`DROP DATABASE ${quoteIdent(rawOnC)} WITH (FORCE)`);
    };
    await raw();

    server = await startInProcessCloud(platform, { maxPools: 8, poolSize: 2 });
    const url = `http://127.0.0.1:${server.port}`;
    const onB = (await platform.clusters.engine('b')).openDatabase(db);
    handles.push(onB);
    for (let i = 0; i < EDGES; i++) tills.push(await createTill(onB, org, `Till ${i + 1}`));
    for (const till of tills) await syncTill(url, till);

    const sellers = tills.map((till) => keepSelling(url, till));
    await sleep(3_000); // pushes before the move: the baseline
    checkInterrupted();
    const moveStart = now();
    mark = moveStart;
    let moveEnd = moveStart;
    let result: Awaited<ReturnType<typeof moveTenant>> | undefined;
    let pushes: Push[] = [];
    try {
      result = await moveTenant(platform.tenants, { orgId: org, to: 'c' });
      moveEnd = now();
      mark = 0;
      await sleep(3_000); // pushes after the switch, on mp_c
    } finally {
      pushes = (await Promise.all(sellers.map((s) => s.stop()))).flat();
    }
    const moveMs = moveEnd - moveStart;
    const refusals = sellers.flatMap((s) => s.refusals());
    // Everything still in an outbox goes through (there should be nothing left).
    for (const till of tills) {
      while (till.pending() > 0) {
        await syncTill(url, till).catch(() => sleep(100));
      }
    }

    // Exactly once: every sale each edge recorded is on mp_c once, with its lines and payment.
    const onC = (await platform.clusters.engine('c')).openDatabase(db);
    handles.push(onC);
    let lost = 0;
    let duplicated = 0;
    /** Sales present once but with other lines, payment or total than the edge recorded. */
    let altered = 0;
    let recorded = 0;
    for (const till of tills) {
      const cloud = await cloudSalesOf(onC, till.deviceId);
      const byId = new Map<string, number>();
      for (const s of cloud) byId.set(s.id, (byId.get(s.id) ?? 0) + 1);
      const answered = new Map(till.answered.map((s) => [s.id, s]));
      recorded += till.answered.length;
      for (const s of till.answered) if (!byId.has(s.id)) lost++;
      for (const [, n] of byId) if (n > 1) duplicated += n - 1;
      for (const s of cloud) {
        const a = answered.get(s.id);
        if (!a)
          duplicated++; // a sale the edge never recorded
        else if (a.lines !== s.lines || a.payments !== s.payments || a.totalMinor !== s.totalMinor) altered++;
      }
      const receipts = new Set(cloud.map((s) => s.receiptNo));
      duplicated += cloud.length - receipts.size;
    }
    const [movedLines] = await onC.query<{ n: string }>('SELECT count(*) AS n FROM sale_lines');
    await raw(); // the same database again (the kept source on mp_b, now the size it had at the freeze)

    const during = pushes.filter((p) => p.at + p.ms >= moveStart && p.at <= moveEnd);
    const before = pushes.filter((p) => p.at + p.ms < moveStart);
    const after = pushes.filter((p) => p.at > moveEnd);
    const longest = Math.max(...during.map((p) => p.ms));
    const ms = (xs: Push[], q: number) =>
      fmt(
        percentile(
          xs.map((p) => p.ms),
          q,
        ),
      );
    log(
      `  move: ${result?.method} (${result?.fallbackReason ?? 'no fallback'}), frozen ${result?.freezeMs} ms, ` +
        `${fmt(moveMs / 1000)} s in all; ${result?.tables.length} tables, checksums ${result?.verification.checksums} ` +
        '(counted inside the freeze, checksummed after the switch), ' +
        `${Number(movedLines?.n)} sale lines on mp_c`,
    );
    log(`  move: seconds per step: ${steps.join(', ')}`);
    log(
      `  pushes: ${pushes.length} by ${EDGES} edges (${recorded} sales); before the move p50 ${ms(before, 50)} ms, ` +
        `max ${ms(before, 100)}; during p50 ${ms(during, 50)}, p99 ${ms(during, 99)}, max ${fmt(longest)}; ` +
        `after p50 ${ms(after, 50)}; refused or failed attempts ${refusals.length}` +
        (refusals.length > 0 ? ` (${[...new Set(refusals)].join(', ')})` : ''),
    );
    log(`  raw pg_dump -Fc | pg_restore mp_b → mp_c: ${rawMs.map((x) => `${fmt(x / 1000)} s`).join(', ')}`);
    log(`  sales lost ${lost}, duplicated ${duplicated}, altered ${altered}, of ${recorded} recorded`);
    const ceiling = Math.min(...rawMs);
    return [
      row(
        `move: longest push delayed by an online move (3 edges selling, ${during.length} pushes during it)`,
        { value: longest, text: `${fmt(longest)} ms (frozen ${result?.freezeMs} ms)` },
        {
          ceiling: {
            value: median(before.map((p) => p.ms)),
            text: `${ms(before, 50)} ms p50 push before it`,
          },
          target: { limit: TARGET_PUSH_MS, text: `≤ ${TARGET_PUSH_MS} ms` },
        },
      ),
      row(
        `move: whole online move mp_b → mp_c, ${generated.lines} sale lines (${fmt(size / 2 ** 20, 0)} MiB)`,
        { value: moveMs, text: `${fmt(moveMs / 1000)} s` },
        {
          ceiling: { value: ceiling, text: `${fmt(ceiling / 1000)} s raw pg_dump -Fc piped to pg_restore` },
          target: { limit: TARGET_RATIO * ceiling, text: `≤ ${TARGET_RATIO}× raw` },
        },
      ),
      row(
        `move: sales lost / duplicated of ${recorded} the edges recorded`,
        {
          value: lost + duplicated + altered,
          text: `${lost} / ${duplicated}${altered ? ` (${altered} altered)` : ''}`,
        },
        { target: { limit: 0, text: '0 / 0' } },
      ),
    ];
  } finally {
    for (const till of tills) till.edge.destroy();
    await server?.stop().catch(() => {});
    for (const h of handles) await h.close().catch(() => {});
    await adminC.query(`DROP DATABASE IF EXISTS ${quoteIdent(rawOnC)} WITH (FORCE)`).catch(() => {});
    await adminC.end();
    await platform.destroy();
    await dropMoveLeftovers(BENCH_PG_URL_B, template, [org]);
    await dropMoveLeftovers(BENCH_PG_URL_C, template, [org]);
    await dropMoveLeftovers(BENCH_PG_URL, template, [org]);
    await releaseMpC();
  }
}
