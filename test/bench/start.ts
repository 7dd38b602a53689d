// Benchmark: how soon a freshly started `modernpos edge` and `modernpos cloud` (on Postgres, and on the
// embedded engine) answer GET /healthz, and their resident set then and after idling, for the compiled
// build (.build/, what the bin and `npm start` run) beside the sources through tsx
// (MODERNPOS_FROM_SOURCE=1). Ceiling: a bare `node -e` HTTP server answering /healthz, started the same
// way in the same run. Each figure is the median of RUNS starts, after one unmeasured start that
// creates the edge's store and the cloud's databases (a restart is what is timed) and warms the page
// cache. Time runs from spawn to the first 200; RSS is read from /proc/<pid>/status (Linux) when that
// answer arrives and again IDLE_MS later, after V8 has shrunk the heap of a process that does nothing.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from '../../src/cli/build.mjs';
import { quoteIdent } from '../../src/db/sql.ts';
import { testDeviceToken } from '../helpers/edge.ts';
import {
  adminClient,
  BENCH_PG_URL,
  checkInterrupted,
  fmt,
  log,
  median,
  now,
  RAW_DB_PREFIX,
  type Row,
  rememberNames,
  row,
  sleep,
} from './common.ts';

const BIN = fileURLToPath(new URL('../../src/cli/bin.mjs', import.meta.url));
const RUNS = 3;
const IDLE_MS = 15_000;
const EDGE_HEALTHZ_TARGET_S = 1;
const EDGE_RSS_TARGET_MIB = 80;
const CLOUD_HEALTHZ_TARGET_S = 2;

interface Start {
  healthzS: number;
  rssAtHealthzMiB: number;
  idleRssMiB: number;
}

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Spawns `argv(port)` with `env`, times its first 200 on /healthz, reads its RSS, stops it. */
async function startOnce(
  argv: (port: number) => string[],
  env: Record<string, string>,
  idle: boolean,
): Promise<Start> {
  checkInterrupted();
  const port = await freePort();
  const started = now();
  const child: ChildProcess = spawn(process.execPath, argv(port), {
    env: { PATH: process.env.PATH, ...env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    let healthzS = 0;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`exited before answering /healthz: ${err.slice(-2000)}`);
      }
      if (now() - started > 120_000) throw new Error(`no /healthz within 120 s: ${err.slice(-2000)}`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ok) {
        healthzS = (now() - started) / 1000;
        break;
      }
      await sleep(5);
    }
    const rssAtHealthzMiB = rssMiB(child.pid!);
    if (idle) await sleep(IDLE_MS);
    return { healthzS, rssAtHealthzMiB, idleRssMiB: idle ? rssMiB(child.pid!) : Number.NaN };
  } finally {
    child.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 15_000).unref());
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

interface Series {
  healthzS: number;
  rssAtHealthzMiB: number;
  idleRssMiB: number;
}

/** One unmeasured start, then RUNS measured ones; medians. */
async function series(
  label: string,
  argv: (port: number) => string[],
  env: Record<string, string>,
  idle = true,
): Promise<Series> {
  await startOnce(argv, env, false);
  const starts: Start[] = [];
  for (let i = 0; i < RUNS; i++) starts.push(await startOnce(argv, env, idle));
  const s = {
    healthzS: median(starts.map((s) => s.healthzS)),
    rssAtHealthzMiB: median(starts.map((s) => s.rssAtHealthzMiB)),
    idleRssMiB: median(starts.map((s) => s.idleRssMiB)),
  };
  log(
    `  ${label}: /healthz ${starts.map((s) => fmt(s.healthzS, 2)).join(', ')} s; RSS at /healthz ` +
      `${starts.map((s) => fmt(s.rssAtHealthzMiB, 0)).join(', ')} MiB` +
      (idle
        ? `, after ${IDLE_MS / 1000} s idle ${starts.map((s) => fmt(s.idleRssMiB, 0)).join(', ')} MiB`
        : ''),
  );
  return s;
}

const seconds = (s: number) => ({ value: s, text: `${fmt(s, 2)} s` });
const mib = (m: number) => ({ value: m, text: `${fmt(m)} MiB` });
const idleText = (s: Series) => ({
  value: s.idleRssMiB,
  text: `${fmt(s.idleRssMiB)} MiB (${fmt(s.rssAtHealthzMiB)} at /healthz)`,
});

export async function startBench(): Promise<Row[]> {
  const buildStarted = now();
  await ensureBuilt();
  log(`  build present (${fmt((now() - buildStarted) / 1000, 2)} s to check or make it)`);
  const dir = mkdtempSync(join(tmpdir(), 'modernpos-bench-start-'));
  const control = `${RAW_DB_PREFIX}control`;
  const template = `${RAW_DB_PREFIX}template`;
  rememberNames(control, template);
  try {
    const raw = await series(
      'raw node -e server',
      (port) => [
        '-e',
        `require('node:http').createServer((q, s) => s.end('{"status":"ok"}')).listen(${port}, '127.0.0.1')`,
      ],
      {},
    );
    const edgeArgv = (port: number) => [
      BIN,
      'edge',
      ...['--cloud-url', 'http://127.0.0.1:9', '--token', testDeviceToken('acme')],
      ...['--branch', 'B01', '--currency', 'EUR', '--timezone', 'Europe/Berlin'],
      ...['--edge-port', String(port), '--edge-host', '127.0.0.1', '--edge-db', join(dir, 'edge.db')],
    ];
    const edge = await series('edge, compiled', edgeArgv, {});
    const edgeTsx = await series('edge, tsx', edgeArgv, { MODERNPOS_FROM_SOURCE: '1' });
    const cloudArgv = () => [BIN, 'cloud'];
    const cloudEnv = {
      MODERNPOS_PG_URL: BENCH_PG_URL,
      MODERNPOS_CONTROL_DB: control,
      MODERNPOS_TEMPLATE_DB: template,
      MODERNPOS_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      MODERNPOS_ADMIN_TOKEN: 'bench-start-admin-token-0123456789',
      MODERNPOS_DATA_DIR: join(dir, 'cloud-pg'),
      MODERNPOS_MIGRATION_INTERVAL_SECONDS: '0',
    };
    const cloud = await series('cloud on Postgres, compiled', cloudArgv, cloudEnv);
    const cloudTsx = await series('cloud on Postgres, tsx', cloudArgv, {
      ...cloudEnv,
      MODERNPOS_FROM_SOURCE: '1',
    });
    const embeddedEnv = {
      MODERNPOS_DATA_DIR: join(dir, 'cloud-embedded'),
      MODERNPOS_MIGRATION_INTERVAL_SECONDS: '0',
    };
    const embedded = await series('cloud embedded, compiled', cloudArgv, embeddedEnv, false);
    const embeddedTsx = await series(
      'cloud embedded, tsx',
      cloudArgv,
      { ...embeddedEnv, MODERNPOS_FROM_SOURCE: '1' },
      false,
    );
    const up = { ceiling: seconds(raw.healthzS) };
    const rss = { ceiling: mib(raw.idleRssMiB) };
    return [
      row('start: edge /healthz, compiled', seconds(edge.healthzS), {
        ...up,
        target: { limit: EDGE_HEALTHZ_TARGET_S, text: `≤ ${EDGE_HEALTHZ_TARGET_S} s` },
      }),
      row('start: edge /healthz, tsx', seconds(edgeTsx.healthzS), up),
      row('start: edge idle RSS, compiled', idleText(edge), {
        ...rss,
        target: { limit: EDGE_RSS_TARGET_MIB, text: `≤ ${EDGE_RSS_TARGET_MIB} MiB` },
      }),
      row('start: edge idle RSS, tsx', idleText(edgeTsx), rss),
      row('start: cloud (Postgres) /healthz, compiled', seconds(cloud.healthzS), {
        ...up,
        target: { limit: CLOUD_HEALTHZ_TARGET_S, text: `≤ ${CLOUD_HEALTHZ_TARGET_S} s` },
      }),
      row('start: cloud (Postgres) /healthz, tsx', seconds(cloudTsx.healthzS), up),
      row('start: cloud (Postgres) idle RSS, compiled', idleText(cloud), rss),
      row('start: cloud (Postgres) idle RSS, tsx', idleText(cloudTsx), rss),
      row('start: cloud (embedded) /healthz, compiled', seconds(embedded.healthzS), up),
      row('start: cloud (embedded) /healthz, tsx', seconds(embeddedTsx.healthzS), up),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
    const client = await adminClient();
    try {
      for (const name of [control, template]) {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      }
      for (const name of [control, template]) await client.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`);
    } finally {
      await client.end();
    }
  }
}
