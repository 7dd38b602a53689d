// The edge agent as a real process, SIGKILLed at random points while several tills record sales and
// refunds: after every restart each answered document is there exactly once with its first answer,
// no partial document exists, and the outbox seq and every receipt series stay gapless. The tills
// sign in once, as a manager (whose session approves the refunds), and their sessions outlive every kill.

import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEdgeStore } from '../../edge/store/store.ts';
import { seedCatalog, seedTillUser } from '../helpers/edge.ts';
import { documentSchema, type Sent, storeProblems } from '../helpers/edge-invariants.ts';
import { type EdgeProcess, startEdgeProcess } from '../helpers/edge-process.ts';
import { seeded } from '../helpers/random.ts';

/** Kills per run (EDGE_CRASH_ROUNDS); EDGE_CRASH_SEED replays the same sales (kill timing still varies). */
const ROUNDS = Number(process.env.EDGE_CRASH_ROUNDS ?? 8);
if (!Number.isSafeInteger(ROUNDS) || ROUNDS < 1) throw new Error('EDGE_CRASH_ROUNDS is a whole number ≥ 1');
const SEED = Number(process.env.EDGE_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const TILLS = 4;
const TERMINALS = ['T1', 'T2', 'T3'];
const PRODUCTS = [
  { sku: 'TEA', priceMinor: 250, taxRateBp: 600, taxInclusive: false },
  { sku: 'MUG', priceMinor: 1299, taxRateBp: 2300, taxInclusive: true },
  { sku: 'CAKE', priceMinor: 333, taxRateBp: 1300, taxInclusive: false },
];

const rng = seeded(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)]!;
const between = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

const halfUp = (a: number, b: number) => Math.floor((2 * a + b) / (2 * b));
const lineTotal = (net: number, rateBp: number, inclusive: boolean) =>
  inclusive ? net : net + halfUp(net * rateBp, 10_000);

function newSale(round: number): Sent {
  const lines: Record<string, unknown>[] = [];
  let totalMinor = 0;
  let stockLines = 0;
  let stockQtyMilli = 0;
  for (let i = between(1, 3); i > 0; i--) {
    const qty = between(1, 3);
    if (rng() < 0.5) {
      const p = pick(PRODUCTS);
      lines.push({ sku: p.sku, qtyMilli: qty * 1000 });
      totalMinor += lineTotal(qty * p.priceMinor, p.taxRateBp, p.taxInclusive);
      stockLines += 1;
      stockQtyMilli -= qty * 1000;
    } else {
      const price = between(50, 5000);
      const rate = pick([0, 600, 2000]);
      const inclusive = rng() < 0.5;
      lines.push({
        name: 'Gift wrap',
        unitPriceMinor: price,
        qtyMilli: qty * 1000,
        taxRateBp: rate,
        taxInclusive: inclusive,
      });
      totalMinor += lineTotal(qty * price, rate, inclusive);
    }
  }
  const half = Math.floor(totalMinor / 2);
  const payments = pick([
    [{ method: 'card', amountMinor: totalMinor }],
    [{ method: 'cash', amountMinor: totalMinor }],
    [{ method: 'cash', amountMinor: Math.ceil((totalMinor + 1) / 500) * 500 }],
    [
      { method: 'card', amountMinor: half },
      { method: 'cash', amountMinor: Math.ceil((totalMinor - half) / 100) * 100 },
    ],
  ]);
  const id = randomUUID();
  const terminal = pick(TERMINALS);
  const body = { id, terminal, lines, payments };
  return {
    id,
    kind: 'sale',
    path: '/v1/sales',
    body,
    terminal,
    originalSaleId: null,
    totalMinor,
    lines: lines.length,
    payments: payments.length,
    stockLines,
    stockQtyMilli,
    round,
  };
}

/** A full refund of `sale`, paid back in cash: same total, lines and stock, the other way round. */
function newRefund(sale: Sent, round: number): Sent {
  const id = randomUUID();
  const terminal = pick(TERMINALS);
  const lines = (sale.body.lines as { qtyMilli: number }[]).map((l, i) => ({
    lineNo: i + 1,
    qtyMilli: l.qtyMilli,
  }));
  const payments = [{ method: 'cash', amountMinor: sale.totalMinor }];
  return {
    id,
    kind: 'refund',
    path: `/v1/sales/${sale.id}/refunds`,
    body: { id, terminal, lines, payments },
    terminal,
    originalSaleId: sale.id,
    totalMinor: sale.totalMinor,
    lines: lines.length,
    payments: 1,
    stockLines: sale.stockLines,
    stockQtyMilli: -sale.stockQtyMilli,
    round,
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function eachInParallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** The manager the tills sign in as, and each terminal's session (signed in once, kept over kills). */
const MANAGER = { code: '9001', pin: '135790', role: 'manager', name: 'Crash Manager' };
const sessions = new Map<string, string>();

async function signInAll(agent: EdgeProcess): Promise<void> {
  for (const terminal of TERMINALS) {
    const res = await fetch(`${agent.url}/v1/cashier-sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ terminal, code: MANAGER.code, pin: MANAGER.pin }),
    });
    const body = (await res.json()) as { token: string };
    if (res.status !== 201) throw new Error(`sign-in at ${terminal}: ${res.status} ${JSON.stringify(body)}`);
    sessions.set(terminal, body.token);
  }
}

async function send(agent: EdgeProcess, sent: Sent): Promise<{ status: number; json: unknown }> {
  const res = await fetch(agent.url + sent.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sessions.get(sent.terminal)}` },
    body: JSON.stringify(sent.body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: await res.json() };
}

interface Tally {
  /** Died in flight and found committed on restart (200), or not (201). */
  committedUnanswered: number;
  notCommitted: number;
}

describe('edge agent SIGKILLed while recording sales', () => {
  let dir = '';
  let agent: EdgeProcess | undefined;
  const sent = new Map<string, Sent>();
  const refundable: Sent[] = [];
  const tally: Tally = { committedUnanswered: 0, notCommitted: 0 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modernpos-edge-crash-'));
    const store = await openEdgeStore(join(dir, 'edge.db'), {
      identity: { orgId: 'acme', branch: 'B01', currency: 'EUR' },
    });
    seedCatalog(store, { products: PRODUCTS });
    await seedTillUser(store, MANAGER);
    store.close();
  });

  afterAll(async () => {
    await agent?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  function answered(doc: Sent, json: unknown) {
    doc.answer = documentSchema.parse(json);
    if (doc.kind === 'sale') refundable.push(doc);
  }

  /** Mostly sales; now and then a full refund of a sale already answered (each refunded once). */
  function nextDocument(round: number): Sent {
    const doc =
      refundable.length > 0 && rng() < 0.15
        ? newRefund(refundable.splice(Math.floor(rng() * refundable.length), 1)[0]!, round)
        : newSale(round);
    sent.set(doc.id, doc);
    return doc;
  }

  /** TILLS clients post until the agent is killed, 50–400 ms after its first 201. */
  async function sellUntilKilled(edge: EdgeProcess, round: number): Promise<string[]> {
    const problems: string[] = [];
    let stopping = false;
    let wake = () => {};
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const timer = setTimeout(() => {
      problems.push('no 201 within 10 s');
      wake();
    }, 10_000);
    const till = async () => {
      // A wrong answer stops the tills at once rather than piling up documents behind it.
      while (!stopping && problems.length === 0) {
        const doc = nextDocument(round);
        try {
          const { status, json } = await send(edge, doc);
          if (status !== 201) problems.push(`${doc.kind} ${doc.id}: ${status} ${JSON.stringify(json)}`);
          else answered(doc, json);
        } catch (err) {
          // In flight when the agent died: its outcome is unknown until the restart.
          if (!stopping) problems.push(`${doc.kind} ${doc.id} failed with the agent up: ${String(err)}`);
        }
        wake();
      }
    };
    const tills = Array.from({ length: TILLS }, till);
    await woken;
    clearTimeout(timer);
    if (problems.length === 0) await sleep(between(50, 400));
    stopping = true;
    const exit = await edge.stop('SIGKILL');
    await Promise.all(tills);
    if (exit.signal !== 'SIGKILL') problems.push(`the agent exited with ${exit.code} before the kill`);
    return problems.length === 0 ? [] : [...problems, edge.output()];
  }

  /** Resends every document whose agent died under it: the first answer (200) or a new one (201). */
  async function settleUnknown(edge: EdgeProcess) {
    for (const doc of [...sent.values()].filter((d) => d.answer === undefined)) {
      const { status, json } = await send(edge, doc);
      expect([200, 201], `${doc.kind} ${doc.id} resent: ${JSON.stringify(json)}`).toContain(status);
      answered(doc, json);
      if (status === 200) tally.committedUnanswered++;
      else tally.notCommitted++;
    }
  }

  /** What the last round answered is read back, and a few are resent, with the same answer. */
  async function checkAnswers(edge: EdgeProcess, round: number) {
    const docs = [...sent.values()].filter((d) => d.round === round);
    await eachInParallel(docs, TILLS, async (doc) => {
      const res = await fetch(`${edge.url}/v1/sales/${doc.id}`);
      expect(res.status, `GET ${doc.kind} ${doc.id}`).toBe(200);
      expect(await res.json()).toEqual(doc.answer);
    });
    for (const doc of docs.slice(0, 10)) {
      const again = await send(edge, doc);
      expect(again.status, `${doc.kind} ${doc.id} resent`).toBe(200);
      expect(again.json).toEqual(doc.answer);
    }
  }

  it(`loses, duplicates and skips nothing over ${ROUNDS} kills (seed ${SEED})`, {
    timeout: 30_000 + ROUNDS * 10_000,
  }, async () => {
    const file = join(dir, 'edge.db');
    for (let round = 0; ; round++) {
      // Alternate the documented modes: `normal` may lose commits on a power cut, never on a crash.
      const synchronous = round % 2 === 0 ? 'full' : 'normal';
      agent = await startEdgeProcess({ dbFile: file, args: ['--synchronous', synchronous] });
      if (round === 0) await signInAll(agent);
      await settleUnknown(agent);
      await checkAnswers(agent, round - 1);
      expect(storeProblems(file, sent), `after restart ${round} (seed ${SEED})`).toEqual([]);
      if (round === ROUNDS) break;
      expect(await sellUntilKilled(agent, round), `round ${round} (seed ${SEED})`).toEqual([]);
    }
    const exit = await agent.stop('SIGTERM');
    expect(exit, agent.output()).toEqual({ code: 0, signal: null });
    expect(storeProblems(file, sent), `after the last stop (seed ${SEED})`).toEqual([]);
    // Each kill leaves every till with a request in flight.
    expect(tally.committedUnanswered + tally.notCommitted).toBeGreaterThan(0);
  });
});
