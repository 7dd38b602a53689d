// Shared pieces of the benchmarks: the Postgres URL, run-unique names, timing and statistics, the
// result rows of the final table, a background sampler and a last-resort sweep of leftovers.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { quoteIdent } from '../../src/db/sql.ts';

export const BENCH_PG_URL =
  process.env.MODERNPOS_BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
/** The two extra clusters of the multi-cluster benchmarks (`.ci/extra-clusters`: mp_b and mp_c, wal_level logical). */
export const BENCH_PG_URL_B =
  process.env.MODERNPOS_BENCH_PG_URL_B ||
  process.env.MODERNPOS_TEST_PG_URL_B ||
  'postgres://postgres@127.0.0.1:5433/postgres';
export const BENCH_PG_URL_C =
  process.env.MODERNPOS_BENCH_PG_URL_C ||
  process.env.MODERNPOS_TEST_PG_URL_C ||
  'postgres://postgres@127.0.0.1:5434/postgres';

/** Unique to this run: every database and role a benchmark creates starts with a name built from it. */
export const RUN = randomBytes(3).toString('hex');
/** Org ids of this run: `b<run>_<label><n>`, so their databases are `modernpos_org_b<run>_…`. */
export const orgId = (label: string, n: number) => `b${RUN}_${label}${String(n).padStart(4, '0')}`;
/** The prefixes of a run's names: its tenants' databases and roles, and what it creates directly. */
const prefixesOf = (run: string): [tenants: string, raw: string] => [
  `modernpos_org_b${run}_`,
  `modernpos_bench_${run}_`,
];
export const [TENANT_DB_PREFIX, RAW_DB_PREFIX] = prefixesOf(RUN);
/** Exact names created through the platform (control, template), registered for the final sweep. */
const createdNames = new Set<string>();

/**
 * Each run on Postgres leaves a note, `<tmp>/modernpos-bench-runs/<run>.json` (its pid and the exact
 * names it made), removed once its own sweep has run: a run killed before it (kill -9, a lost shell)
 * is swept by the next run, which finds its pid gone.
 */
const RUNS_DIR = join(tmpdir(), 'modernpos-bench-runs');
interface RunNote {
  pid: number;
  run: string;
  names: string[];
}
const notePath = (run: string) => join(RUNS_DIR, `${run}.json`);

/** Writes (or rewrites) this run's note. */
export function noteRun(): void {
  mkdirSync(RUNS_DIR, { recursive: true });
  const note: RunNote = { pid: process.pid, run: RUN, names: [...createdNames] };
  writeFileSync(notePath(RUN), JSON.stringify(note));
}

/** Registers exact names this run made (for its own sweep, and for the next run's if it is killed). */
export function rememberNames(...names: string[]): void {
  for (const n of names) createdNames.add(n);
  noteRun();
}

/** This run swept what it made: its note goes. */
export function forgetRun(): void {
  rmSync(notePath(RUN), { force: true });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Drops what earlier runs left on the main cluster when they were killed before their sweep; returns the names. */
export async function sweepDeadRuns(): Promise<string[]> {
  let files: string[];
  try {
    files = readdirSync(RUNS_DIR).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const dropped: string[] = [];
  for (const file of files) {
    let note: RunNote;
    try {
      note = JSON.parse(readFileSync(join(RUNS_DIR, file), 'utf8')) as RunNote;
    } catch {
      continue; // being written, or not ours: left alone
    }
    if (note.run === RUN || !/^[0-9a-f]{6}$/.test(note.run) || alive(note.pid)) continue;
    dropped.push(...(await dropNamed(prefixesOf(note.run), note.names)));
    rmSync(join(RUNS_DIR, file), { force: true });
  }
  return dropped;
}

export const now = () => performance.now();
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const log = (line: string) => console.log(line);

let interrupted = false;
export const interrupt = () => {
  interrupted = true;
};
/** Called in every loop, so Ctrl-C stops the run through the `finally` blocks that drop what it made. */
export function checkInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? Number.NaN;
}
export const median = (values: readonly number[]) => percentile(values, 50);
export const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** One line of the final table. `ratio` is how many times costlier than the raw ceiling (1.0× = as fast as raw). */
export interface Row {
  name: string;
  figure: string;
  ceiling: string;
  ratio: string;
  target: string;
  met: 'yes' | 'no' | 'n/a';
  /** The figure and its ceiling as numbers (in the figure's own unit), for the cost-growth table. */
  value?: number;
  ceilingValue?: number;
}

export interface Measure {
  value: number;
  text: string;
}

export function row(
  name: string,
  figure: Measure,
  options: { ceiling?: Measure; higherIsBetter?: boolean; target?: { limit: number; text: string } } = {},
): Row {
  const { ceiling, higherIsBetter = false, target } = options;
  const ratio = ceiling && (higherIsBetter ? ceiling.value / figure.value : figure.value / ceiling.value);
  const met = target && (higherIsBetter ? figure.value >= target.limit : figure.value <= target.limit);
  return {
    name,
    figure: figure.text,
    ceiling: ceiling?.text ?? '—',
    ratio: ratio === undefined ? '—' : `${fmt(ratio)}×`,
    target: target?.text ?? '—',
    met: met === undefined ? 'n/a' : met ? 'yes' : 'no',
    value: figure.value,
    ...(ceiling ? { ceilingValue: ceiling.value } : {}),
  };
}

export function printRow(r: Row): void {
  log(`  => ${r.name}: ${r.figure} | ceiling ${r.ceiling} (${r.ratio}) | target ${r.target}: ${r.met}`);
}

export function printTable(rows: readonly Row[]): void {
  const header: Row = {
    name: 'benchmark',
    figure: 'figure',
    ceiling: 'raw ceiling',
    ratio: 'ratio',
    target: 'target',
    met: 'n/a',
  };
  const cells = [header, ...rows].map((r) => [
    r.name,
    r.figure,
    r.ceiling,
    r.ratio,
    r.target,
    r === header ? 'met' : r.met,
  ]);
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`;
  log(line(cells[0]!));
  log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const c of cells.slice(1)) log(line(c));
}

/** A raw admin connection (no platform code in between), to the main cluster unless `clusterUrl` says otherwise. */
export async function adminClient(database?: string, clusterUrl = BENCH_PG_URL): Promise<pg.Client> {
  const url = new URL(clusterUrl);
  if (database) url.pathname = `/${encodeURIComponent(database)}`;
  const client = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** Runs `sample` every `everyMs` (never overlapping) until stopped. */
export function startSampler(sample: () => Promise<void>, everyMs: number): { stop(): Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await sample();
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}

/** Drops every database and role of this run still present; returns their names (empty when teardown was complete). */
export const sweepLeftovers = (): Promise<string[]> => dropNamed(prefixesOf(RUN), [...createdNames]);

/** Drops the databases, then the roles, named with one of two prefixes or exactly; returns their names. */
async function dropNamed(prefixes: [string, string], exact: string[]): Promise<string[]> {
  const client = await adminClient();
  try {
    const match = 'starts_with(n, $1) OR starts_with(n, $2) OR n = ANY($3::text[])';
    const params = [...prefixes, exact];
    const dbs = await client.query<{ n: string }>(
      `SELECT n FROM (SELECT datname AS n FROM pg_database) d WHERE ${match}`,
      params,
    );
    for (const { n } of dbs.rows) await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(n)} WITH (FORCE)`);
    const roles = await client.query<{ n: string }>(
      `SELECT n FROM (SELECT rolname AS n FROM pg_roles) r WHERE ${match}`,
      params,
    );
    for (const { n } of roles.rows) await client.query(`DROP ROLE IF EXISTS ${quoteIdent(n)}`);
    return [...dbs.rows, ...roles.rows].map((r) => r.n);
  } finally {
    await client.end();
  }
}

/** Runs `command` in bash with pipefail (stdout discarded); rejects with its stderr on a non-zero exit. */
export function shell(command: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command}: exit ${code}: ${err}`)),
    );
  });
}
