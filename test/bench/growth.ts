// Benchmark: how each figure grows with its work (`npm run bench -- growth`, not part of the default
// run). It runs the sync-nightly, sync-fleet, idle and reports benchmarks at three sizes each, every
// size in its own child `npm run bench` process (their size knobs are read at start-up), reads their
// rows back, and prints one table: the figure at each size and its growth exponent b (figure ∝ size^b
// between the smallest and the largest size). For a throughput, b ≈ 0 means the total time is linear
// in the work; for a time or memory, b ≈ 1 is linear, b ≈ 0 flat. Sizes can be overridden with
// BENCH_GROWTH_<DIMENSION>=a,b,c (e.g. BENCH_GROWTH_DEVICES=500,1000,2000), and the dimensions run
// limited with BENCH_GROWTH_ONLY=SALES,TENANTS,DEVICES,LINES.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkInterrupted, fmt, log, type Row } from './common.ts';

/** One figure a dimension follows: which row (by its name's start) and how it reads. */
interface Figure {
  label: string;
  /** The row whose name starts with this (sizes vary inside names, so only the fixed start is matched). */
  prefix: string;
  unit: string;
  higherIsBetter: boolean;
  /** What the row's value is divided by to read in `unit` (RSS rows hold bytes, CPU rows a share, storm rows ms). */
  scale?: number;
}

interface Dimension {
  key: string;
  label: string;
  bench: string;
  sizeEnv: string;
  sizes: readonly number[];
  env: Record<string, string>;
  figures: readonly Figure[];
}

const MIB = 1024 * 1024;

const DIMENSIONS: readonly Dimension[] = [
  {
    key: 'SALES',
    label: 'sales per push (one device, nightly)',
    bench: 'sync-nightly',
    sizeEnv: 'BENCH_SYNC_SALES',
    sizes: [5_000, 20_000, 50_000],
    // The push alone: the end-to-end process and PouchDB runs are the nightly bench's own business.
    env: { BENCH_SYNC_E2E: '0' },
    figures: [{ label: 'push rate', prefix: 'sync-nightly: ', unit: 'sales/s', higherIsBetter: true }],
  },
  {
    key: 'TENANTS',
    label: 'tenants pushing at once (200 sales each)',
    bench: 'sync-fleet',
    sizeEnv: 'BENCH_SYNC_TENANTS',
    sizes: [10, 30, 100],
    env: {},
    figures: [
      { label: 'fleet rate', prefix: 'sync-fleet: ', unit: 'sales/s', higherIsBetter: true },
      {
        label: 'cloud peak RSS',
        prefix: 'sync-fleet: cloud process peak RSS',
        unit: 'MiB',
        scale: MIB,
        higherIsBetter: false,
      },
    ],
  },
  {
    key: 'DEVICES',
    label: 'connected idle devices (100 tenants)',
    bench: 'idle',
    sizeEnv: 'BENCH_IDLE_DEVICES',
    sizes: [1_000, 3_000, 10_000],
    env: { BENCH_IDLE_SECONDS: '30' },
    figures: [
      { label: 'cloud RSS', prefix: 'idle: cloud RSS', unit: 'MiB', higherIsBetter: false, scale: MIB },
      {
        label: 'heartbeat CPU',
        prefix: 'idle: cloud CPU over',
        unit: '% of a core',
        higherIsBetter: false,
        scale: 0.01,
      },
      {
        label: 'restart storm',
        prefix: 'idle: restart storm, all',
        unit: 's',
        higherIsBetter: false,
        scale: 1000,
      },
    ],
  },
  {
    key: 'LINES',
    label: 'sale lines per tenant (reports, 30-day period)',
    bench: 'reports',
    sizeEnv: 'BENCH_REPORTS_LINES',
    sizes: [10_000, 100_000, 1_000_000],
    env: { BENCH_REPORTS_SAMPLES: '10' },
    figures: [{ label: 'slowest report p50', prefix: 'reports: ', unit: 'ms', higherIsBetter: false }],
  },
];

const RUN_SCRIPT = fileURLToPath(new URL('./run.ts', import.meta.url));

function sizesOf(d: Dimension): readonly number[] {
  const override = process.env[`BENCH_GROWTH_${d.key}`];
  if (!override) return d.sizes;
  const sizes = override.split(',').map(Number);
  if (sizes.length !== 3 || sizes.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(`BENCH_GROWTH_${d.key} must be three positive integers, e.g. ${d.sizes.join(',')}`);
  }
  return sizes;
}

/** Runs one benchmark at one size in a child bench process and returns its rows. */
async function runAt(d: Dimension, size: number): Promise<Row[]> {
  checkInterrupted();
  const dir = mkdtempSync(join(tmpdir(), 'modernpos-growth-'));
  const file = join(dir, 'rows.json');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', RUN_SCRIPT, d.bench], {
        env: { ...process.env, ...d.env, [d.sizeEnv]: String(size), BENCH_ROWS_FILE: file },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      child.once('error', reject);
      child.once('exit', resolve);
    });
    const rows = JSON.parse(readFileSync(file, 'utf8')) as Row[];
    if (code !== 0 && rows.some((r) => r.figure.startsWith('error:'))) {
      throw new Error(
        `${d.bench} at ${size} failed: ${rows.find((r) => r.figure.startsWith('error:'))?.figure}`,
      );
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The figure's value in `rows`: the worst of the matching rows (reports: the slowest report). */
function figureIn(rows: readonly Row[], f: Figure): number {
  const values = rows
    .filter((r) => r.name.startsWith(f.prefix) && r.value !== undefined)
    .map((r) => r.value!);
  if (values.length === 0) throw new Error(`no row starting "${f.prefix}"`);
  return (f.higherIsBetter ? Math.min(...values) : Math.max(...values)) / (f.scale ?? 1);
}

/** b in figure ∝ size^b, from the smallest to the largest size. */
const exponent = (sizes: readonly number[], values: readonly number[]) =>
  Math.log(values.at(-1)! / values[0]!) / Math.log(sizes.at(-1)! / sizes[0]!);

/** How the cost grows: the figure itself, or for a throughput the time to do the work (∝ size^(1−b)). */
function reading(f: Figure, b: number): string {
  const cost = f.higherIsBetter ? 1 - b : b;
  const shape = cost < 0.2 ? 'flat' : cost < 0.8 ? 'sublinear' : cost <= 1.2 ? 'linear' : 'superlinear';
  return f.higherIsBetter ? `time ${shape}` : shape;
}

export async function growthBench(): Promise<Row[]> {
  const rows: Row[] = [];
  const table: string[] = [
    '| work | figure | small | medium | large | b | reads as |',
    '| ---- | ------ | ----- | ------ | ----- | - | -------- |',
  ];
  const only = process.env.BENCH_GROWTH_ONLY?.split(',');
  for (const d of DIMENSIONS.filter((x) => !only || only.includes(x.key))) {
    const sizes = sizesOf(d);
    const runs: Row[][] = [];
    for (const size of sizes) {
      log(`  ${d.bench} with ${d.sizeEnv}=${size} …`);
      runs.push(await runAt(d, size));
    }
    for (const f of d.figures) {
      const values = runs.map((r) => figureIn(r, f));
      const b = exponent(sizes, values);
      const cells = sizes.map(
        (s, i) =>
          `${fmt(values[i]!, f.unit === 'ms' || f.unit === 's' || f.unit.startsWith('%') ? 1 : 0)} at ${s.toLocaleString('en')}`,
      );
      table.push(
        `| ${d.label} | ${f.label} (${f.unit}) | ${cells.join(' | ')} | ${fmt(b, 2)} | ${reading(f, b)} |`,
      );
      rows.push({
        name: `growth: ${f.label} (${f.unit}) vs ${d.label}`,
        figure: `${cells.join(' → ')}; b = ${fmt(b, 2)}, ${reading(f, b)}`,
        ceiling: '—',
        ratio: '—',
        target: '—',
        met: 'n/a',
      });
    }
  }
  log('\n  cost growth (figure ∝ size^b between the smallest and the largest size):\n');
  for (const line of table) log(`  ${line}`);
  return rows;
}
