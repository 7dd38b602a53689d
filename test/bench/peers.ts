// The shared peer scripts (/work/shared/peers, SHARED_PEERS_DIR) called from a benchmark: a bare
// PostgreSQL ingest (2-pg-ingest.js: tables with primary keys only, one connection, 500 sales a
// transaction, on a throwaway PG 15 cluster) and PouchDB replicating sale docs to pouchdb-server
// (4-pouchdb-replication.js). The folder may be read-only, so it is copied once to BENCH_PEERS_DIR
// (default <tmp>/modernpos-bench-peers) and set up there (`npm run setup`, ~3 min, compiles native
// modules); later runs reuse the copy. Ports other than the scripts' defaults, so a hand run of the
// scripts beside the benchmark does not collide.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log } from './common.ts';

const SOURCE = process.env.SHARED_PEERS_DIR || '/work/shared/peers';
const DIR = process.env.BENCH_PEERS_DIR || join(tmpdir(), 'modernpos-bench-peers');

interface RateResult {
  label: string;
  unit: string;
  min: number;
  median: number;
  runs: number[];
}

function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${output.slice(-800)}`)),
    );
  });
}

/** The set-up copy of the peers folder (copied and set up on first use). */
async function peersDir(): Promise<string> {
  const ready = () =>
    existsSync(join(DIR, 'node_modules', 'pg-copy-streams')) &&
    existsSync(join(DIR, 'node_modules', 'pouchdb')) &&
    existsSync(join(DIR, 'server', 'node_modules'));
  if (ready()) return DIR;
  if (!existsSync(join(SOURCE, '2-pg-ingest.js'))) {
    throw new Error(`no peer scripts at ${SOURCE}; set SHARED_PEERS_DIR`);
  }
  log(`  peers: copying ${SOURCE} to ${DIR} and running npm run setup there (once, ~3 min)`);
  cpSync(SOURCE, DIR, {
    recursive: true,
    filter: (src) => !src.includes(`${SOURCE}/node_modules`) && !src.includes('/server/node_modules'),
  });
  await run('npm', ['run', 'setup'], DIR);
  if (!ready()) throw new Error(`npm run setup in ${DIR} left no node_modules`);
  return DIR;
}

function results(dir: string, name: string): RateResult[] {
  return (JSON.parse(readFileSync(join(dir, 'results', `${name}.json`), 'utf8')) as { results: RateResult[] })
    .results;
}

export interface BareIngest {
  /** The fastest fresh-load method's median, sales/s. */
  rate: number;
  label: string;
  /** Every fresh-load method, for the log. */
  all: RateResult[];
}

/** 2-pg-ingest.js with `sales` sales, `runs` runs: the fastest of its fresh loads. */
export async function bareIngest(sales: number, runs = 1): Promise<BareIngest> {
  const dir = await peersDir();
  await run(
    process.execPath,
    ['2-pg-ingest.js', `--sales=${sales}`, '--batch=500', `--runs=${runs}`, '--port=55472'],
    dir,
  );
  const fresh = results(dir, '2-pg-ingest').filter((r) => r.label.endsWith(': fresh'));
  const best = fresh.reduce((a, b) => (b.median > a.median ? b : a));
  return { rate: best.median, label: best.label.replace(/: fresh$/, ''), all: fresh };
}

/** 4-pouchdb-replication.js with `sales` docs, `runs` runs: the one-way replication's median, docs/s. */
export async function pouchReplication(sales: number, runs = 1): Promise<RateResult> {
  const dir = await peersDir();
  await run(
    process.execPath,
    ['4-pouchdb-replication.js', `--sales=${sales}`, `--runs=${runs}`, '--port=15994'],
    dir,
  );
  const found = results(dir, '4-pouchdb-replication').find((r) => r.label.startsWith('one-way replication'));
  if (!found) throw new Error('4-pouchdb-replication.js wrote no replication figure');
  return found;
}
