// Benchmark: sales recorded through the edge store (3 catalog lines + 1 cash payment, WAL, synchronous=FULL)
// against raw better-sqlite3 writing the same rows with the same pragmas, one sale per transaction, in
// interleaved rounds on separate fresh files; each side's figure is its median round. A third side,
// the store recording without its journal links (EdgeStoreOptions.journal false), gives the journal's
// share of recordSale alone (its target is on the whole sale path: edge-journal.ts).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openEdgeDatabase } from '../../edge/store/database.ts';
import type { SaleView } from '../../edge/store/documents.ts';
import type { EdgeStore } from '../../edge/store/store.ts';
import type { SaleInput } from '../../src/domain/payloads.ts';
import { createTestEdge, seedCatalog, type TestEdge } from '../helpers/edge.ts';
import { checkInterrupted, fmt, log, median, now, type Row, row } from './common.ts';

const ROUNDS = 5;
const ROUND_MS = 2_000;
const WARMUP_SALES = 200;
const TARGET = 0.7;
const PRODUCTS = [
  { sku: 'COFFEE-250G', name: 'Coffee beans 250 g', priceMinor: 699, taxRateBp: 600 },
  { sku: 'MILK-1L', name: 'Whole milk 1 l', priceMinor: 119, taxRateBp: 600 },
  { sku: 'MUG-CERAMIC', name: 'Ceramic mug', priceMinor: 1250, taxRateBp: 2300 },
];
/** Rows one sale writes per table (the sequence upserts rewrite existing rows). */
const ROWS_PER_SALE = {
  sales: 1,
  sale_lines: 3,
  payments: 1,
  stock_movements: 3,
  outbox: 1,
  journal_links: 1,
} as const;

/** The sale both benchmarks post: three catalog lines and one cash payment covering them with change. */
export function saleInput(id: string = randomUUID()): SaleInput {
  return {
    id,
    terminal: 'T1',
    lines: [
      { sku: 'COFFEE-250G', qtyMilli: 2_000 },
      { sku: 'MILK-1L', qtyMilli: 1_500 },
      { sku: 'MUG-CERAMIC', qtyMilli: 1_000 },
    ],
    payments: [{ method: 'cash', amountMinor: 5_000 }],
  };
}

/**
 * A fresh store on its own temporary file (synchronous=FULL, as the agent runs) with the catalog
 * seeded; `journal: false` only for the journal's cost comparison.
 */
export async function createSalesEdge(options: { journal?: boolean } = {}): Promise<TestEdge> {
  const edge = await createTestEdge({ synchronous: 'full', ...options });
  seedCatalog(edge.store, { products: PRODUCTS, currency: 'EUR' });
  return edge;
}

/** Records one sale through the store; a refusal is a broken benchmark, not a figure. */
export function recordOne(store: EdgeStore): SaleView {
  const outcome = store.sales.recordSale(saleInput());
  if (!outcome.ok) throw new Error(`recordSale refused: ${outcome.error.code} ${outcome.error.message}`);
  return outcome.value.value;
}

/** Calls `fn` back to back for `ms`; returns calls per second. */
export function rateFor(ms: number, fn: () => void): number {
  let count = 0;
  const start = now();
  let elapsed = 0;
  while (elapsed < ms) {
    checkInterrupted();
    fn();
    count++;
    elapsed = now() - start;
  }
  return count / (elapsed / 1000);
}

/** The ceiling's statements: plain SQL with positional parameters, prepared once. */
function rawStatements(sqlite: Database.Database) {
  const prepare = (sql: string) => sqlite.prepare(sql);
  return {
    next: prepare(
      'INSERT INTO local_sequences (name, value) VALUES (?, 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value',
    ).pluck(),
    sale: prepare(`INSERT INTO sales (id, receipt_no, kind, original_sale_id, branch_code, terminal, device_id,
      shift_id, cashier, cashier_user_id, customer_id, currency, subtotal_minor, discount_minor, tax_minor,
      total_minor, change_minor, occurred_at, business_date, reason, flags, received_at)
      VALUES (?, ?, 'sale', NULL, ?, ?, NULL, NULL, NULL, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)`),
    line: prepare(`INSERT INTO sale_lines (sale_id, line_no, product_id, name, qty_milli, unit_price_minor,
      amount_minor, discount_minor, tax_rate_bp, tax_inclusive, tax_minor, total_minor, original_line_no, flags,
      business_date, kind, branch_code)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, 'sale', ?)`),
    payment: prepare(`INSERT INTO payments (sale_id, payment_no, method, amount_minor, tendered_minor,
      change_minor, reference, business_date, kind, branch_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'sale', ?)`),
    movement: prepare(`INSERT INTO stock_movements (id, branch_code, product_id, delta_qty_milli, reason,
      occurred_at, source_id) VALUES (?, ?, ?, ?, 'sale', ?, ?)`),
    outbox: prepare(`INSERT INTO outbox (seq, mutation_id, kind, payload, created_at, acked_at, result)
      VALUES (?, ?, 'sale', ?, ?, NULL, NULL)`),
    link: prepare(`INSERT INTO journal_links (store_id, branch_code, terminal, journal_seq, kind, document_id,
      prev_hash, hash, recorded_at) VALUES ('raw', ?, ?, ?, 'sale', ?, ?, ?, ?)`),
    startHead:
      prepare(`INSERT INTO journal_heads (store_id, branch_code, terminal, org_id, last_seq, last_hash,
      started_at, grand_sales_minor, grand_refunds_minor, grand_tax_minor) VALUES ('raw', ?, ?, 'raw', 0, ?, ?, 0, 0, 0)`),
    moveHead: prepare(`UPDATE journal_heads SET last_seq = ?, last_hash = ?, grand_sales_minor = ?,
      grand_refunds_minor = ?, grand_tax_minor = ? WHERE store_id = 'raw' AND terminal = ?`),
  };
}

/**
 * The ceiling: the rows of a store sale shaped like `t` (fresh ids, receipt number, time and outbox
 * payload each time) and its journal link and head (a fixed 64-hex hash: no hashing), in one
 * IMMEDIATE transaction with nothing else: no catalog reads, no checks.
 */
function rawSaleWriter(sqlite: Database.Database, t: SaleView): () => void {
  const s = rawStatements(sqlite);
  const hash = 'a'.repeat(64);
  let seq = 0;
  let grandSales = 0;
  let grandTax = 0;
  s.startHead.run(t.branch, t.terminal, hash, new Date().toISOString());
  const totals = [t.currency, t.subtotalMinor, t.discountMinor, t.taxMinor, t.totalMinor, t.changeMinor];
  const lineValues = (l: SaleView['lines'][number]) => [
    ...[l.lineNo, l.productId, l.name, l.qtyMilli, l.unitPriceMinor, l.amountMinor, l.discountMinor],
    ...[l.taxRateBp, l.taxInclusive ? 1 : 0, l.taxMinor, l.totalMinor, JSON.stringify(l.flags)],
  ];
  const write = sqlite.transaction(() => {
    const id = randomUUID();
    const at = new Date().toISOString();
    const receiptNo = `${t.branch}-${t.terminal}-${String(s.next.get(`receipt:${t.terminal}:sale`)).padStart(6, '0')}`;
    s.sale.run(id, receiptNo, t.branch, t.terminal, ...totals, at, t.businessDate, JSON.stringify(t.flags));
    for (const l of t.lines) s.line.run(id, ...lineValues(l), t.businessDate, t.branch);
    t.payments.forEach((p, i) => {
      const { method, amountMinor: amount, tenderedMinor: tendered, changeMinor: change, reference: ref } = p;
      s.payment.run(id, i + 1, method, amount, tendered, change, ref, t.businessDate, t.branch);
    });
    const stockMovements = t.lines.map((l) => ({
      id: randomUUID(),
      productId: l.productId,
      deltaQtyMilli: -l.qtyMilli,
    }));
    for (const m of stockMovements) s.movement.run(m.id, t.branch, m.productId, m.deltaQtyMilli, at, id);
    seq++;
    grandSales += t.totalMinor;
    grandTax += t.taxMinor;
    s.link.run(t.branch, t.terminal, seq, id, hash, hash, at);
    s.moveHead.run(seq, hash, grandSales, 0, grandTax, t.terminal);
    const journal = { terminal: t.terminal, seq, prevHash: hash, hash };
    const payload = JSON.stringify({ ...t, id, receiptNo, occurredAt: at, stockMovements, journal });
    s.outbox.run(s.next.get('outbox'), id, payload, at);
  });
  return () => write.immediate();
}

/** Rows per sale in each table and the mean outbox payload size, to show both sides wrote the same thing. */
function perSale(sqlite: Database.Database): { rows: Record<string, number>; payloadBytes: number } {
  const count = (table: string) => sqlite.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  const sales = count('sales');
  const rows = Object.fromEntries(Object.keys(ROWS_PER_SALE).map((t) => [t, count(t) / sales]));
  const bytes = sqlite.prepare('SELECT avg(length(payload)) FROM outbox').pluck().get() as number;
  return { rows, payloadBytes: bytes };
}

function checkSameRows(store: Database.Database, raw: Database.Database): void {
  const a = perSale(store);
  const b = perSale(raw);
  for (const [table, expected] of Object.entries(ROWS_PER_SALE)) {
    if (a.rows[table] !== expected || b.rows[table] !== expected) {
      throw new Error(
        `${table}: ${a.rows[table]} rows per sale in the store, ${b.rows[table]} raw; expected ${expected}`,
      );
    }
  }
  log(
    `  rows per sale on both sides: ${JSON.stringify(ROWS_PER_SALE)}; outbox payload ${fmt(a.payloadBytes, 0)} B (store) vs ${fmt(b.payloadBytes, 0)} B (raw)`,
  );
}

interface Rates {
  store: number[];
  unjournaled: number[];
  raw: number[];
}

/** Alternates raw, unjournaled store and store rounds on their own files; returns each side's sales/s per round. */
function interleavedRounds(edge: TestEdge, unjournaled: TestEdge, raw: Database.Database): Rates {
  const storeSale = () => void recordOne(edge.store);
  const plainSale = () => void recordOne(unjournaled.store);
  const rawSale = rawSaleWriter(raw, recordOne(unjournaled.store));
  for (let i = 0; i < WARMUP_SALES; i++) {
    storeSale();
    plainSale();
    rawSale();
  }
  const rates: Rates = { store: [], unjournaled: [], raw: [] };
  for (let r = 0; r < ROUNDS; r++) {
    rates.raw.push(rateFor(ROUND_MS, rawSale));
    // The two stores swap places each round: neither always runs on the heels of the other.
    const pair = [
      () => rates.unjournaled.push(rateFor(ROUND_MS, plainSale)),
      () => rates.store.push(rateFor(ROUND_MS, storeSale)),
    ];
    for (const side of r % 2 === 0 ? pair : pair.reverse()) side();
  }
  checkSameRows(edge.store.database.sqlite, raw);
  const chains = edge.store.verifyJournal();
  if (!chains.intact) throw new Error(`the benchmark's chain does not verify: ${JSON.stringify(chains)}`);
  return rates;
}

/**
 * The journal's share of recordSale alone: the store with its links against the same store without
 * them. No target here: the target is on the sale path a till waits on (edge-journal.ts), of which
 * recordSale is a part.
 */
function journalReport(rates: Rates): Row {
  const store = median(rates.store);
  const plain = median(rates.unjournaled);
  const added = 1e6 / store - 1e6 / plain;
  const rounds = (xs: number[]) => xs.map((x) => fmt(x, 0)).join(', ');
  log(
    `  journal: ${fmt(store, 0)} sales/s with it, ${fmt(plain, 0)} without (rounds ${rounds(rates.unjournaled)}): ${fmt(store / plain, 2)}× (per sale ${added >= 0 ? '+' : '−'}${fmt(Math.abs(added), 0)} µs)`,
  );
  return row(
    "edge-sales journal: recordSale alone with each sale's hash-chain link against without (the sale path: edge-journal)",
    { value: store, text: `${fmt(store, 0)} sales/s (${fmt(store / plain, 2)}× without)` },
    {
      ceiling: { value: plain, text: `${fmt(plain, 0)} sales/s without the journal` },
      higherIsBetter: true,
    },
  );
}

function report(rates: Rates): Row {
  const store = median(rates.store);
  const ceiling = median(rates.raw);
  const rounds = (xs: number[]) => xs.map((x) => fmt(x, 0)).join(', ');
  log(`  rounds (sales/s): store ${rounds(rates.store)}; raw ${rounds(rates.raw)}`);
  log(
    `  per sale: store ${fmt(1e6 / store, 0)} µs, raw ${fmt(1e6 / ceiling, 0)} µs (store adds ${fmt(1e6 / store - 1e6 / ceiling, 0)} µs)`,
  );
  const limit = TARGET * ceiling;
  return row(
    'edge-sales: store.sales.recordSale, 3 catalog lines + 1 cash payment, 1 sale/transaction (WAL, sync FULL)',
    { value: store, text: `${fmt(store, 0)} sales/s` },
    {
      ceiling: { value: ceiling, text: `${fmt(ceiling, 0)} sales/s raw better-sqlite3, same rows` },
      higherIsBetter: true,
      target: { limit, text: `≥ ${TARGET}× raw: ≥ ${fmt(limit, 0)}/s (ratio ≤ ${fmt(1 / TARGET)}×)` },
    },
  );
}

export async function edgeSalesBench(): Promise<Row[]> {
  const edge = await createSalesEdge();
  const unjournaled = await createSalesEdge({ journal: false });
  const rawDir = mkdtempSync(join(tmpdir(), 'modernpos-bench-raw-'));
  try {
    const raw = await openEdgeDatabase(join(rawDir, 'raw.db'), { synchronous: 'full' });
    try {
      const rates = interleavedRounds(edge, unjournaled, raw.sqlite);
      return [report(rates), journalReport(rates)];
    } finally {
      raw.close();
    }
  } finally {
    rmSync(rawDir, { recursive: true, force: true });
    edge.destroy();
    unjournaled.destroy();
  }
}
