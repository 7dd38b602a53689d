// Benchmark: a live catalog change, from before `createProduct` until the product is in a connected
// edge's store (sync loop, synchronous=FULL), p50 and p99, interleaved with its raw ceiling: the same
// hops with bare pg clients and a bare ws socket (commit, NOTIFY → LISTEN, poke, pull round trip).

import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import WebSocket, { WebSocketServer } from 'ws';
import { createProduct } from '../../cloud/catalog/products.ts';
import { startSyncLoop } from '../../edge/sync/sync-loop.ts';
import { quoteIdent } from '../../src/db/sql.ts';
import { lineLogger } from '../../src/log.ts';
import { createTestEdge, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform } from '../helpers/engines.ts';
import {
  adminClient,
  checkInterrupted,
  fmt,
  log,
  now,
  orgId,
  percentile,
  RAW_DB_PREFIX,
  type Row,
  rememberNames,
  row,
  sleep,
} from './common.ts';
import { onboardSyncTenant, type SyncTenant, startInProcessCloud } from './sync-setup.ts';

const WRITES = Number(process.env.BENCH_SYNC_LIVE_WRITES || 50);
const WARMUP = 3;
const TARGET_MS = 1_000;
const CHANNEL = 'bench_live';

/** Resolves once `check()` holds, looking every millisecond (the store has no change event). */
async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = now() + timeoutMs;
  while (!check()) {
    if (now() > deadline) throw new Error('timed out waiting for the edge');
    await sleep(1);
  }
}

/**
 * The raw chain: a writer commits a row and NOTIFYs (after the commit, as the cloud does), a
 * LISTENing client hears it and a bare ws server pokes its one client, which asks for the row
 * and gets it back read by a third client. Returns one sample's timer and the teardown.
 */
async function rawChain(
  database: string,
): Promise<{ sample(id: string): Promise<number>; close(): Promise<void> }> {
  const clients: pg.Client[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  const listening = new Promise<void>((resolve, reject) => {
    wss.once('listening', resolve).once('error', reject);
  });
  let socket: WebSocket | undefined;
  const close = async () => {
    socket?.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    for (const c of clients) await c.end().catch(() => {});
  };
  try {
    for (let i = 0; i < 3; i++) clients.push(await adminClient(database));
    const [writer, reader, listener] = clients as [pg.Client, pg.Client, pg.Client];
    await writer.query('CREATE TABLE items (id text PRIMARY KEY, name text NOT NULL)');
    await listener.query(`LISTEN ${CHANNEL}`);
    await listening;
    const served = new Promise<void>((resolve) =>
      wss.once('connection', (ws) => {
        ws.on('message', async (data) => {
          const { rows } = await reader.query('SELECT id, name FROM items WHERE id = $1', [data.toString()]);
          ws.send(JSON.stringify(rows));
        });
        resolve();
      }),
    );
    listener.on('notification', (n) => {
      for (const ws of wss.clients) ws.send(`poke ${n.payload}`);
    });
    socket = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const client = socket;
    await new Promise<void>((resolve, reject) => client.once('open', resolve).once('error', reject));
    await served;
    let arrived: (() => void) | undefined;
    client.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('poke ')) client.send(text.slice(5));
      else arrived?.();
    });
    return {
      async sample(id) {
        const start = now();
        const done = new Promise<void>((resolve, reject) => {
          arrived = resolve;
          setTimeout(() => reject(new Error('the raw chain timed out')), 10_000).unref();
        });
        await writer.query('BEGIN');
        await writer.query('INSERT INTO items (id, name) VALUES ($1, $2)', [id, `Raw ${id}`]);
        await writer.query('COMMIT');
        await writer.query('SELECT pg_notify($1, $2)', [CHANNEL, id]);
        await done;
        return now() - start;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

interface Samples {
  /** Before `createProduct` until the product is in the edge's store. */
  product: number[];
  /** Before `createProduct` until it returned (committed, audited, NOTIFY sent). */
  write: number[];
  raw: number[];
}

/** Alternates a raw chain and a catalog write, 10 ms apart so neither rides on the other's tail. */
async function interleaved(
  raw: { sample(id: string): Promise<number> },
  write: (sku: string, i: number) => Promise<unknown>,
  visible: (sku: string) => boolean,
): Promise<Samples> {
  const samples: Samples = { product: [], write: [], raw: [] };
  for (let i = 0; i < WARMUP + WRITES; i++) {
    checkInterrupted();
    const rawMs = await raw.sample(`R${i}`);
    await sleep(10);
    const sku = `LIVE-${String(i).padStart(4, '0')}`;
    const start = now();
    await write(sku, i);
    const wrote = now() - start;
    await until(() => visible(sku));
    const took = now() - start;
    await sleep(10);
    if (i < WARMUP) continue;
    samples.product.push(took);
    samples.write.push(wrote);
    samples.raw.push(rawMs);
  }
  return samples;
}

function report(s: Samples): Row[] {
  const p = (xs: number[], q: number) => fmt(percentile(xs, q), 2);
  const delivery = s.product.map((ms, i) => ms - s.write[i]!);
  log(
    `  ${WRITES} writes after ${WARMUP} warm-up: write → visible on the edge p50 ${p(s.product, 50)} ms, p90 ${p(s.product, 90)}, p99 ${p(s.product, 99)}, max ${fmt(Math.max(...s.product), 2)}; raw chain p50 ${p(s.raw, 50)}, p99 ${p(s.raw, 99)}`,
  );
  log(
    `  of which the write (transaction, audit, NOTIFY sent) p50 ${p(s.write, 50)} ms; NOTIFY → poke → pull → applied on the edge p50 ${p(delivery, 50)} ms`,
  );
  const name = (q: number) =>
    `sync-live: catalog write → visible on a connected edge, p${q} of ${WRITES} (1 ms polling)`;
  const measure = (xs: number[], q: number) => ({ value: percentile(xs, q), text: `${p(xs, q)} ms` });
  const ceiling = (q: number) => ({
    value: percentile(s.raw, q),
    text: `${p(s.raw, q)} ms raw commit + NOTIFY→LISTEN + ws poke/pull`,
  });
  return [
    row(name(50), measure(s.product, 50), { ceiling: ceiling(50) }),
    row(name(99), measure(s.product, 99), {
      ceiling: ceiling(99),
      target: { limit: TARGET_MS, text: `≤ ${TARGET_MS} ms` },
    }),
  ];
}

export async function syncLiveBench(): Promise<Row[]> {
  if (!Number.isInteger(WRITES) || WRITES < 1) throw new Error('BENCH_SYNC_LIVE_WRITES must be ≥ 1');
  const platform = await createTestPlatform('postgres');
  rememberNames(platform.config.controlDatabase!, platform.config.templateDatabase!);
  const rawDb = `${RAW_DB_PREFIX}live`;
  const admin = await adminClient();
  let tenant: SyncTenant | undefined;
  let edge: TestEdge | undefined;
  let server: Awaited<ReturnType<typeof startInProcessCloud>> | undefined;
  let loop: ReturnType<typeof startSyncLoop> | undefined;
  let raw: Awaited<ReturnType<typeof rawChain>> | undefined;
  try {
    tenant = await onboardSyncTenant(platform, orgId('l', 0));
    const { orgId: org, db, token } = tenant;
    server = await startInProcessCloud(platform, { maxPools: 4, poolSize: 2 });
    const cloud = server;
    // The agent's default durability: each applied page is fsynced before it counts as arrived.
    edge = await createTestEdge({
      identity: { orgId: org, branch: 'MAIN', currency: 'EUR' },
      synchronous: 'full',
    });
    const store = edge.store;
    const cloudUrl = `http://127.0.0.1:${cloud.port}`;
    loop = startSyncLoop(store, {
      cloudUrl,
      token,
      logger: lineLogger('edge', 'warn', (line) => console.error(`  edge: ${line}`)),
    });
    const live = loop;
    await until(() => live.connected() && store.searchProducts('COFFEE-250G', 5).length === 1);
    await admin.query(`CREATE DATABASE ${quoteIdent(rawDb)}`);
    raw = await rawChain(rawDb);
    const samples = await interleaved(
      raw,
      (sku, i) =>
        createProduct(
          { db, actor: 'hq', onCommitted: (cursor) => cloud.signals.catalogChanged(org, cursor) },
          { sku, name: `Live ${i}`, priceMinor: 100 + i },
        ),
      (sku) => store.searchProducts(sku, 2).some((p) => p.sku === sku),
    );
    return report(samples);
  } finally {
    await raw?.close();
    await loop?.stop();
    edge?.destroy();
    await server?.stop();
    await tenant?.db.close();
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(rawDb)} WITH (FORCE)`).catch(() => {});
    await admin.end();
    await platform.destroy();
  }
}
