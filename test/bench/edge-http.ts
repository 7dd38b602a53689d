// Benchmark: POST /v1/sales on a real edge server (127.0.0.1, synchronous=FULL) from 1 and 16 keep-alive
// clients in a worker thread, so client work does not share the server's event loop, each a bare
// HTTP/1.1 connection (keep-alive-client.ts) taking as little of the two cores as it can: first with
// one transaction per sale (before group commit), then with group commit, on the same store. Ceiling:
// direct recordSale on that store in the same run, one sale per transaction; target for 16 clients
// with group commit: at least the ceiling, both the medians of interleaved rounds.

import { Worker } from 'node:worker_threads';
import { startEdgeServer } from '../../edge/server.ts';
import { lineLogger } from '../../src/log.ts';
import { seedTillUser, TEST_CASHIER, type TestEdge } from '../helpers/edge.ts';
import { checkInterrupted, fmt, log, median, now, percentile, type Row, row } from './common.ts';
import { createSalesEdge, rateFor, recordOne, saleInput } from './edge-sales.ts';
import { type KeepAliveConnection, openKeepAlive } from './keep-alive-client.ts';

const CONCURRENCY = [1, 16] as const;
const WARMUP_MS = 500;
const MEASURE_MS = 3_000;
const DIRECT_MS = 2_000;
const clientsText = (n: number) => `${n} keep-alive client${n > 1 ? 's' : ''}`;

/** What a client worker is told to do: `clients` loops sending `kind` requests for `measureMs` after a warm-up. */
export interface LoadPlan {
  url: string;
  /** The cashier session every sale is sent with. */
  token: string;
  kind: 'sale' | 'health';
  clients: number;
  warmupMs: number;
  measureMs: number;
}

/** What it reports: latencies (ms) of the requests started after the warm-up, and how long they took in all. */
interface LoadResult {
  latencies: number[];
  elapsedMs: number;
  failures: number;
  firstFailure: string | null;
}

/** One request on `connection`; returns the failure, or null when the answer was the expected status. */
async function send(connection: KeepAliveConnection, plan: LoadPlan): Promise<string | null> {
  const res =
    plan.kind === 'sale'
      ? await connection.request(
          'POST',
          '/v1/sales',
          { 'content-type': 'application/json', authorization: `Bearer ${plan.token}` },
          JSON.stringify(saleInput()),
        )
      : await connection.request('GET', '/healthz', {});
  const expected = plan.kind === 'sale' ? 201 : 200;
  return res.status === expected ? null : `${res.status} ${res.body.slice(0, 200)}`;
}

/**
 * Runs in the worker: the clients, each on its own keep-alive connection (keep-alive-client.ts). A
 * connection the server closed or that failed is a failed request, and the client opens a new one.
 */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const result: LoadResult = { latencies: [], elapsedMs: 0, failures: 0, firstFailure: null };
  const measureFrom = now() + plan.warmupMs;
  const end = measureFrom + plan.measureMs;
  const client = async () => {
    let connection: KeepAliveConnection | undefined;
    try {
      for (let start = now(); start < end; start = now()) {
        let failure: string | null;
        try {
          connection ??= await openKeepAlive(plan.url);
          failure = await send(connection, plan);
        } catch (err) {
          connection?.close();
          connection = undefined;
          failure = String(err);
        }
        if (failure !== null) {
          result.failures++;
          result.firstFailure ??= failure;
        } else if (start >= measureFrom) result.latencies.push(now() - start);
      }
    } finally {
      connection?.close();
    }
  };
  await Promise.all(Array.from({ length: plan.clients }, client));
  result.elapsedMs = now() - measureFrom;
  return result;
}

/** Starts a worker thread (tsx registered in it first) that runs `plan` and posts back its result. */
function loadInWorker(plan: LoadPlan): Promise<LoadResult> {
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const self = JSON.stringify(import.meta.url);
  const boot = `const { parentPort, workerData } = require('node:worker_threads');
import(${tsx}).then((api) => { api.register(); return import(${self}); })
  .then((m) => m.runLoad(workerData)).then((r) => parentPort.postMessage(r));`;
  const worker = new Worker(boot, { eval: true, workerData: plan });
  return new Promise<LoadResult>((resolve, reject) => {
    worker.once('message', (r: LoadResult) => resolve(r));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load worker exited with ${code} before reporting`)));
  }).finally(() => worker.terminate());
}

/** Requests per second and p50/p99 latency of one load run; failures make the benchmark fail. */
export async function measure(plan: LoadPlan): Promise<{ rate: number; p50: number; p99: number }> {
  checkInterrupted();
  const r = await loadInWorker(plan);
  if (r.failures > 0) throw new Error(`${r.failures} ${plan.kind} requests failed, first: ${r.firstFailure}`);
  if (r.latencies.length === 0) throw new Error(`no ${plan.kind} request completed in ${plan.measureMs} ms`);
  return {
    rate: r.latencies.length / (r.elapsedMs / 1000),
    p50: percentile(r.latencies, 50),
    p99: percentile(r.latencies, 99),
  };
}

/**
 * Sales need a cashier session: the test cashier is seeded and signs in once on the edge served at
 * `url`, at the terminal the sales name; answers the session's token.
 */
export async function signInTill(edge: TestEdge, url: string): Promise<string> {
  await seedTillUser(edge.store, TEST_CASHIER);
  const signIn = await fetch(`${url}/v1/cashier-sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ terminal: saleInput().terminal, code: TEST_CASHIER.code, pin: TEST_CASHIER.pin }),
  });
  if (signIn.status !== 201) throw new Error(`sign-in: ${signIn.status} ${await signIn.text()}`);
  return ((await signIn.json()) as { token: string }).token;
}

/** The two servers on one store: each sale in its own transaction, and sales grouped into one commit. */
interface Servers {
  perSale: string;
  grouped: string;
}

/** Rounds of the targeted pair: direct recordSale and 16 clients with group commit, in turn. */
const TARGET_ROUNDS = 3;

/**
 * Each way of answering once (one transaction per sale, group commit; 1 and 16 clients), then the
 * targeted pair in TARGET_ROUNDS interleaved rounds: direct recordSale and 16 clients with group
 * commit, the first of a round alternating. The figure and the ceiling are the medians of their
 * rounds, so a slow minute of this machine's disk falls on both, not on one. Then the bare HTTP stack
 * for context.
 */
async function runAll(edge: TestEdge, urls: Servers): Promise<Row[]> {
  const url = urls.grouped;
  const direct = () => rateFor(DIRECT_MS, () => void recordOne(edge.store));
  const token = await signInTill(edge, url);
  const plan = (kind: LoadPlan['kind'], clients: number, at = url) =>
    measure({ url: at, token, kind, clients, warmupMs: WARMUP_MS, measureMs: MEASURE_MS });
  const sales = [];
  for (const grouped of [false, true]) {
    for (const clients of CONCURRENCY) {
      if (grouped && clients === 16) continue;
      sales.push({
        grouped,
        clients,
        ...(await plan('sale', clients, grouped ? urls.grouped : urls.perSale)),
      });
    }
  }
  const directs: number[] = [];
  const rounds: Awaited<ReturnType<typeof plan>>[] = [];
  for (let round = 0; round < TARGET_ROUNDS; round++) {
    // The two swap places each round: neither always runs on the heels of the other.
    if (round % 2 === 0) directs.push(direct());
    const groups = edge.store.groupCommit.stats();
    const loop = performance.eventLoopUtilization();
    rounds.push(await plan('sale', 16));
    const busy = performance.eventLoopUtilization(loop).utilization;
    const after = edge.store.groupCommit.stats();
    if (round % 2 === 1) directs.push(direct());
    // Sales per commit over the round (warm-up included); the server's event loop busy share.
    const perCommit = (after.writes - groups.writes) / Math.max(1, after.groups - groups.groups);
    log(
      `  round ${round + 1}: direct recordSale ${fmt(directs.at(-1)!, 0)} sales/s; group commit, ${clientsText(16)}: ${fmt(rounds.at(-1)!.rate, 0)} sales/s, ${fmt(perCommit, 1)} sales per commit, server event loop ${fmt(100 * busy, 0)}% busy`,
    );
  }
  const middle = [...rounds].sort((a, b) => a.rate - b.rate)[Math.floor(rounds.length / 2)]!;
  sales.push({ grouped: true, clients: 16, ...middle });
  for (const clients of CONCURRENCY) {
    const h = await plan('health', clients);
    log(
      `  HTTP stack alone (GET /healthz, ${clientsText(clients)}): ${fmt(h.rate, 0)} req/s, p50 ${fmt(h.p50, 2)} ms, p99 ${fmt(h.p99, 2)} ms`,
    );
  }
  const ceiling = median(directs);
  return sales.map((s) =>
    row(
      `edge-http: POST /v1/sales (3 lines + cash), ${clientsText(s.clients)}, ${s.grouped ? 'group commit' : 'one transaction per sale'}${s.grouped && s.clients === 16 ? `, median of ${TARGET_ROUNDS} rounds` : ''}`,
      { value: s.rate, text: `${fmt(s.rate, 0)} sales/s, p50 ${fmt(s.p50, 2)} ms, p99 ${fmt(s.p99, 2)} ms` },
      {
        ceiling: {
          value: ceiling,
          text: `${fmt(ceiling, 0)} sales/s direct recordSale (median of ${TARGET_ROUNDS})`,
        },
        higherIsBetter: true,
        ...(s.grouped && s.clients === 16 ? { target: { limit: ceiling, text: '≥ 1.0× ceiling' } } : {}),
      },
    ),
  );
}

/** An edge server on `edge`'s store, 127.0.0.1 on a free port, with or without group commit. */
export async function serveEdge(
  edge: TestEdge,
  groupCommit: boolean,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = await startEdgeServer({
    store: edge.store,
    port: 0,
    hostname: '127.0.0.1',
    logger: lineLogger('edge', 'warn', (line) => console.error(`  edge server: ${line}`)),
    groupCommit,
  });
  return { url: `http://127.0.0.1:${server.port}`, stop: () => server.stop() };
}

export async function edgeHttpBench(): Promise<Row[]> {
  const edge = await createSalesEdge();
  try {
    const perSale = await serveEdge(edge, false);
    const grouped = await serveEdge(edge, true);
    try {
      return await runAll(edge, { perSale: perSale.url, grouped: grouped.url });
    } finally {
      await perSale.stop();
      await grouped.stop();
    }
  } finally {
    edge.destroy();
  }
}
