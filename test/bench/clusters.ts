// Benchmark: 1,000 tenants over 3 clusters (the main one as `default`, mp_b and mp_c), placed by the
// product (no --cluster: the least-loaded cluster that is not draining). Figures: the onboarding
// median (target ≤ 150 ms) beside a bare CREATE DATABASE … TEMPLATE on the same cluster's template,
// interleaved; and ONE additive migration over all of them with `migrateAllTenants` (what
// `tenant migrate --all` runs: N at once per cluster, clusters side by side; target ≤ 60 s) beside
// the same ALTER over a fresh raw pg.Client per tenant with the same per-cluster concurrency.
// Everything it creates is listed in a journal file first: a run that was killed is cleaned up by the
// next one before it starts (and at the end of every run), so it is always safe to run again.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addCluster } from '../../cloud/clusters/registry.ts';
import { migrateAllTenants } from '../../cloud/tenants/migrate.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { mapBounded } from '../../src/concurrency.ts';
import { quoteIdent } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { latestVersion, loadMigrationSet, MIGRATIONS_DIR } from '../../src/migrate/files.ts';
import { holdMpCUp } from '../helpers/clusters.ts';
import { createTestPlatform } from '../helpers/engines.ts';
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
} from './common.ts';

const TENANTS = Number(process.env.BENCH_CLUSTER_TENANTS || 1_000);
/** A raw CREATE DATABASE … TEMPLATE after every CEILING_EVERY-th onboarding. */
const CEILING_EVERY = 5;
/** `tenant migrate --all` default: 4 at once per cluster. */
const CONCURRENCY = Number(process.env.BENCH_CLUSTER_CONCURRENCY || 4);
const ONBOARD_TARGET_MS = 150;
const MIGRATE_TARGET_S = 60;
const JOURNAL = join(tmpdir(), 'modernpos-bench-clusters.json');

const CLUSTERS: Record<string, string> = { default: BENCH_PG_URL, b: BENCH_PG_URL_B, c: BENCH_PG_URL_C };

interface Journal {
  controlDatabase: string;
  templateDatabase: string;
  /** Every tenant database and role of the run starts with this. */
  tenantPrefix: string;
  rawPrefix: string;
}

/** Drops, on every cluster, what a run listed in its journal made: tenant databases and roles, raw copies, template, control. */
async function dropJournaled(j: Journal): Promise<number> {
  let dropped = 0;
  await Promise.all(
    Object.values(CLUSTERS).map(async (url) => {
      const c = await adminClient(undefined, url);
      try {
        const match = 'starts_with(n, $1) OR starts_with(n, $2) OR n = ANY($3::text[])';
        const params = [j.tenantPrefix, j.rawPrefix, [j.templateDatabase, j.controlDatabase]];
        const dbs = await c.query<{ n: string }>(
          `SELECT n FROM (SELECT datname AS n FROM pg_database) d WHERE ${match} ORDER BY n`,
          params,
        );
        // Each DROP DATABASE waits for a checkpoint; several at once share one (4 connections per cluster).
        await mapBounded(dbs.rows, 4, async ({ n }) => {
          const d = await adminClient(undefined, url);
          try {
            // A template database cannot be dropped while it is one.
            await d.query(`ALTER DATABASE ${quoteIdent(n)} IS_TEMPLATE false`).catch(() => {});
            await d.query(`DROP DATABASE IF EXISTS ${quoteIdent(n)} WITH (FORCE)`);
          } finally {
            await d.end();
          }
        });
        const roles = await c.query<{ n: string }>(
          `SELECT n FROM (SELECT rolname AS n FROM pg_roles) r WHERE ${match}`,
          params,
        );
        for (const { n } of roles.rows) await c.query(`DROP ROLE IF EXISTS ${quoteIdent(n)}`);
        dropped += dbs.rows.length + roles.rows.length;
      } finally {
        await c.end();
      }
    }),
  );
  return dropped;
}

/** A killed earlier run's leftovers go first. */
async function sweepEarlierRun(): Promise<void> {
  if (!existsSync(JOURNAL)) return;
  const earlier = JSON.parse(readFileSync(JOURNAL, 'utf8')) as Journal;
  const t = now();
  const n = await dropJournaled(earlier);
  rmSync(JOURNAL, { force: true });
  log(`  clusters: dropped ${n} databases and roles an earlier run left (${fmt((now() - t) / 1000)} s)`);
}

export async function clustersBench(): Promise<Row[]> {
  if (!Number.isInteger(TENANTS) || TENANTS < 3) throw new Error('BENCH_CLUSTER_TENANTS must be ≥ 3');
  await sweepEarlierRun();
  const releaseMpC = await holdMpCUp();
  /** Time before each lifecycle step of the current onboarding, since the previous one (or its start). */
  let stepsOfOne = new Map<string, number>();
  let mark = 0;
  const platform = await createTestPlatform('postgres', {
    afterStep: (step) => {
      const t = now();
      stepsOfOne.set(step, t - mark);
      mark = t;
    },
  });
  const journal: Journal = {
    controlDatabase: platform.config.controlDatabase!,
    templateDatabase: platform.config.templateDatabase!,
    tenantPrefix: tenantDatabaseName(orgId('k', 0)).slice(0, -4),
    rawPrefix: RAW_DB_PREFIX,
  };
  writeFileSync(JOURNAL, JSON.stringify(journal));
  rememberNames(journal.controlDatabase, journal.templateDatabase);
  const migrationsDir = mkdtempSync(join(tmpdir(), 'modernpos-bench-migrations-'));
  try {
    await addCluster(platform.tenants, { name: 'b', url: BENCH_PG_URL_B });
    await addCluster(platform.tenants, { name: 'c', url: BENCH_PG_URL_C });

    // 1. Onboarding, placed by the product; a bare CREATE DATABASE … TEMPLATE on the cluster it chose now and then.
    const onboardMs: number[] = [];
    const rawMs: number[] = [];
    const placed = new Map<string, number>();
    const firstOn = new Set<string>();
    const orgIds: string[] = [];
    /** Median ms per step over the samples ("registered" includes placement). */
    const steps = new Map<string, number[]>();
    const start = now();
    for (let i = 0; i < TENANTS; i++) {
      checkInterrupted();
      const id = orgId('k', i);
      stepsOfOne = new Map();
      const t = now();
      mark = t;
      const result = await onboardTenant(platform.tenants, { orgId: id, name: `Cluster fleet ${i}` });
      const took = now() - t;
      orgIds.push(id);
      const cluster = result.cluster;
      placed.set(cluster, (placed.get(cluster) ?? 0) + 1);
      // The first tenant on a cluster also creates and migrates that cluster's template: not a sample.
      if (!firstOn.has(cluster)) {
        firstOn.add(cluster);
        log(`  clusters: first tenant on ${cluster} (its template made too): ${fmt(took)} ms`);
        continue;
      }
      onboardMs.push(took);
      for (const [step, ms] of stepsOfOne) {
        const all = steps.get(step);
        if (all) all.push(ms);
        else steps.set(step, [ms]);
      }
      if (i % CEILING_EVERY === 0) {
        // A connection of its own each time (opened before the clock starts): one lost does not end the run.
        const admin = await adminClient(undefined, CLUSTERS[cluster]);
        try {
          const raw = `${RAW_DB_PREFIX}c${i}`;
          const r = now();
          await admin.query(
            `CREATE DATABASE ${quoteIdent(raw)} TEMPLATE ${quoteIdent(journal.templateDatabase)}`,
          );
          rawMs.push(now() - r);
          await admin.query(`DROP DATABASE ${quoteIdent(raw)}`);
        } finally {
          await admin.end();
        }
      }
      if ((i + 1) % 100 === 0) {
        log(
          `  clusters: ${i + 1}/${TENANTS} onboarded (${fmt((now() - start) / 1000)} s; median so far ${fmt(median(onboardMs))} ms, of the last 100 ${fmt(median(onboardMs.slice(-100)))} ms; ` +
            `${[...placed].map(([c, n]) => `${c} ${n}`).join(', ')})`,
        );
      }
    }
    log(
      `  clusters: onboarding p50 ${fmt(median(onboardMs))} ms, p90 ${fmt(percentile(onboardMs, 90))}, ` +
        `max ${fmt(Math.max(...onboardMs))}; bare CREATE DATABASE TEMPLATE p50 ${fmt(median(rawMs))} ms ` +
        `(p90 ${fmt(percentile(rawMs, 90))}, ${rawMs.length} samples); placed: ${[...placed].map(([c, n]) => `${c} ${n}`).join(', ')}`,
    );
    log(
      `  clusters: median ms per onboarding step (registered includes placement): ${[...steps].map(([step, ms]) => `${step} ${fmt(median(ms))}`).join(', ')}`,
    );

    // 2. One additive migration over all of them, then the same ALTER raw.
    cpSync(join(MIGRATIONS_DIR, 'tenant'), migrationsDir, { recursive: true });
    const next = String(latestVersion(platform.tenants.tenantMigrations) + 1).padStart(4, '0');
    for (const dialect of ['pg', 'sqlite']) {
      writeFileSync(
        join(migrationsDir, `${next}_bench_additive.${dialect}.sql`),
        'ALTER TABLE branches ADD COLUMN bench_note TEXT;\n',
      );
    }
    const ctx = {
      ...platform.tenants,
      tenantMigrations: loadMigrationSet('tenant', migrationsDir, 'postgres'),
    };
    let t = now();
    const summary = await migrateAllTenants(ctx, {
      concurrency: CONCURRENCY,
      onProgress: (done, total) => {
        if (done % 200 === 0) log(`  clusters: migrated ${done}/${total} (${fmt((now() - t) / 1000)} s)`);
      },
    });
    const migrateS = (now() - t) / 1000;
    if (summary.failed.length > 0 || summary.migrated !== orgIds.length) {
      const first = summary.failed[0];
      throw new Error(
        `migrateAllTenants migrated ${summary.migrated}/${orgIds.length}, ${summary.failed.length} failed` +
          (first ? ` (first: ${first.orgId}: ${first.error})` : ''),
      );
    }
    const orgs = await platform.control.query<{ id: string; cluster: string }>(
      'SELECT id, cluster FROM organizations',
    );
    const byCluster = new Map<string, string[]>();
    for (const o of orgs) byCluster.set(o.cluster, [...(byCluster.get(o.cluster) ?? []), o.id]);
    t = now();
    await Promise.all(
      [...byCluster].map(([cluster, ids]) =>
        mapBounded(ids, CONCURRENCY, async (id) => {
          checkInterrupted();
          const db = tenantDatabaseName(id);
          const client = await adminClient(db, CLUSTERS[cluster]);
          try {
            await client.query(
              `BEGIN; SET LOCAL ROLE ${quoteIdent(db)}; ALTER TABLE branches ADD COLUMN bench_raw TEXT; COMMIT`,
            );
          } finally {
            await client.end();
          }
        }),
      ),
    );
    const rawS = (now() - t) / 1000;
    log(
      `  clusters: ${summary.migrated} tenants to v${summary.latest} in ${fmt(migrateS, 2)} s ` +
        `(${CONCURRENCY} at once on each of ${byCluster.size} clusters); raw ALTER ${fmt(rawS, 2)} s`,
    );

    const on = median(onboardMs);
    const ceil = median(rawMs);
    const spread = [...placed].map(([c, n]) => `${c} ${n}`).join(' / ');
    return [
      row(
        `clusters: onboarding, median of ${onboardMs.length} placed over 3 clusters (${spread}; p90 ${fmt(percentile(onboardMs, 90))} ms)`,
        { value: on, text: `${fmt(on)} ms` },
        {
          ceiling: { value: ceil, text: `${fmt(ceil)} ms bare CREATE DATABASE … TEMPLATE` },
          target: { limit: ONBOARD_TARGET_MS, text: `≤ ${ONBOARD_TARGET_MS} ms` },
        },
      ),
      row(
        `clusters: migrate --all, 1 additive migration × ${orgIds.length} tenants, ${CONCURRENCY} per cluster`,
        { value: migrateS, text: `${fmt(migrateS, 2)} s` },
        {
          ceiling: { value: rawS, text: `${fmt(rawS, 2)} s raw ALTER, fresh pg.Client each` },
          target: { limit: MIGRATE_TARGET_S, text: `≤ ${MIGRATE_TARGET_S} s` },
        },
      ),
    ];
  } finally {
    rmSync(migrationsDir, { recursive: true, force: true });
    const t = now();
    await platform.close().catch(() => {});
    const n = await dropJournaled(journal);
    rmSync(platform.dataDir, { recursive: true, force: true });
    rmSync(JOURNAL, { force: true });
    log(
      `  clusters teardown: dropped ${n} databases and roles on 3 clusters in ${fmt((now() - t) / 1000)} s`,
    );
    await releaseMpC();
  }
}
