// The promises an edge store keeps whatever happens to its process, checked from the SQLite file
// itself: every answered document once, whole and as answered, with its outbox entry; no row nobody
// sent; outbox seq and receipt series gapless; counters equal to what they numbered; every terminal's
// hash chain intact, with one link per document.
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { z } from 'zod';
import { createDocuments } from '../../edge/store/documents.ts';
import { verifyEdgeJournal } from '../../edge/store/journal-verify.ts';
import { OUTBOX_SEQUENCE, receiptSequence } from '../../edge/store/sequences.ts';
import { parseReceiptNo } from '../../src/domain/receipt.ts';

/** What a sale or refund answer must carry; the rest is compared whole against later answers. */
export const documentSchema = z.looseObject({
  id: z.string(),
  kind: z.enum(['sale', 'refund']),
  receiptNo: z.string(),
  terminal: z.string(),
  totalMinor: z.number(),
});
export type DocumentAnswer = z.infer<typeof documentSchema>;

/** One document a till sent: what the store must end up holding for it. */
export interface Sent {
  id: string;
  kind: 'sale' | 'refund';
  path: string;
  body: Record<string, unknown>;
  terminal: string;
  /** The sale a refund takes back. */
  originalSaleId: string | null;
  totalMinor: number;
  lines: number;
  payments: number;
  /** Quantity of catalog lines (thousandths): one stock movement per catalog line, − for a sale. */
  stockLines: number;
  stockQtyMilli: number;
  round: number;
  /** The first 200/201 seen for it; none while its outcome is unknown (the agent died under it). */
  answer?: DocumentAnswer;
}

interface SaleRow {
  id: string;
  kind: string;
  receipt_no: string;
  terminal: string;
  total_minor: number;
  original_sale_id: string | null;
}
interface OutboxRow {
  seq: number;
  mutation_id: string;
  kind: string;
  payload: string;
}

/**
 * Reads the store (read-only, beside a running or stopped agent) and lists every broken promise:
 * an answered document missing, changed or partial, a row nobody sent, a gap in the outbox or a
 * receipt series, or a counter that does not match what it numbered.
 */
export function storeProblems(file: string, sent: ReadonlyMap<string, Sent>): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = db.pragma('integrity_check', { simple: true });
    const sales = db
      .prepare('SELECT id, kind, receipt_no, terminal, total_minor, original_sale_id FROM sales')
      .all() as SaleRow[];
    const outbox = db
      .prepare('SELECT seq, mutation_id, kind, payload FROM outbox ORDER BY seq')
      .all() as OutboxRow[];
    return [
      ...(integrity === 'ok' ? [] : [`integrity_check: ${String(integrity)}`]),
      ...documentProblems(db, sent, sales, outbox),
      ...numberingProblems(db, sales, outbox),
      ...journalProblems(db, sales),
    ].slice(0, 30);
  } finally {
    db.close();
  }
}

/** Each document sent is stored once, whole, as answered, with its outbox entry; nothing else is. */
function documentProblems(
  db: Database.Database,
  sent: ReadonlyMap<string, Sent>,
  sales: SaleRow[],
  outbox: OutboxRow[],
): string[] {
  const problems: string[] = [];
  const groups = (table: string, key: string, summed: string) =>
    new Map(
      db
        .prepare(`SELECT ${key} AS id, count(*) AS n, sum(${summed}) AS total FROM ${table} GROUP BY ${key}`)
        .all()
        .map((g) => [(g as { id: string }).id, g as { n: number; total: number }]),
    );
  const parts = {
    sale_lines: groups('sale_lines', 'sale_id', 'total_minor'),
    payments: groups('payments', 'sale_id', 'amount_minor'),
    stock_movements: groups('stock_movements', 'source_id', 'delta_qty_milli'),
  };
  const stored = new Map(sales.map((r) => [r.id, r]));
  const outboxOf = new Map(outbox.map((r) => [r.mutation_id, r]));
  for (const doc of sent.values()) {
    const row = stored.get(doc.id);
    const what = `${doc.kind} ${doc.id} (${doc.answer?.receiptNo ?? 'no answer'})`;
    if (!row) {
      problems.push(`${what} is missing`);
      continue;
    }
    const want = [doc.kind, doc.answer?.receiptNo, doc.terminal, doc.totalMinor, doc.originalSaleId];
    const got = [row.kind, row.receipt_no, row.terminal, row.total_minor, row.original_sale_id];
    if (JSON.stringify(got) !== JSON.stringify(want))
      problems.push(`${what} stored as ${JSON.stringify(got)}`);
    const expected = {
      sale_lines: [doc.lines, doc.totalMinor],
      payments: [doc.payments, doc.totalMinor],
      stock_movements: [doc.stockLines, doc.stockLines === 0 ? null : doc.stockQtyMilli],
    };
    for (const [table, [n, total]] of Object.entries(expected)) {
      const g = parts[table as keyof typeof parts].get(doc.id);
      if ((g?.n ?? 0) !== n || (g?.total ?? null) !== total) {
        problems.push(`${what}: ${g?.n ?? 0} ${table} summing to ${g?.total ?? null}, not ${n} and ${total}`);
      }
    }
    const queued = outboxOf.get(doc.id);
    const payload = queued ? documentSchema.safeParse(JSON.parse(queued.payload)) : undefined;
    if (queued?.kind !== doc.kind || payload?.data?.receiptNo !== doc.answer?.receiptNo) {
      problems.push(`${what}: the outbox holds ${queued ? `${queued.kind} #${queued.seq}` : 'nothing'}`);
    }
  }
  for (const row of sales)
    if (!sent.has(row.id)) problems.push(`${row.receipt_no} (${row.id}) was never sent`);
  for (const [table, byDoc] of Object.entries(parts)) {
    for (const id of byDoc.keys())
      if (!stored.has(id)) problems.push(`${table} for ${id}, which is no document`);
  }
  // Cashier events (sign-ins, approvals) are queued beside the documents they never belong to.
  for (const r of outbox)
    if (r.kind !== 'cashier_event' && !stored.has(r.mutation_id))
      problems.push(`outbox #${r.seq} for ${r.mutation_id}`);
  return problems;
}

/** The outbox seq and every receipt series run 1…n without a gap, and each counter stands at its n. */
function numberingProblems(db: Database.Database, sales: SaleRow[], outbox: OutboxRow[]): string[] {
  const problems: string[] = [];
  const misplaced = outbox.findIndex((r, i) => r.seq !== i + 1);
  if (misplaced >= 0) problems.push(`outbox seq ${outbox[misplaced]?.seq} where ${misplaced + 1} belongs`);
  const series = new Map<string, number[]>();
  for (const row of sales) {
    const receipt = parseReceiptNo(row.receipt_no);
    if (receipt?.branch !== 'B01' || receipt.terminal !== row.terminal) {
      problems.push(`receipt ${row.receipt_no} on terminal ${row.terminal}`);
      continue;
    }
    const name = receiptSequence(receipt.terminal, receipt.series);
    series.set(name, [...(series.get(name) ?? []), receipt.seq]);
  }
  const counters: Record<string, number> = outbox.length > 0 ? { [OUTBOX_SEQUENCE]: outbox.length } : {};
  for (const [name, numbers] of series) {
    numbers.sort((a, b) => a - b);
    const gap = numbers.findIndex((n, i) => n !== i + 1);
    if (gap >= 0) problems.push(`${name}: number ${numbers[gap]} where ${gap + 1} belongs`);
    counters[name] = numbers.length;
  }
  const have = Object.fromEntries(
    (db.prepare('SELECT name, value FROM local_sequences').all() as { name: string; value: number }[]).map(
      (s) => [s.name, s.value],
    ),
  );
  for (const name of new Set([...Object.keys(counters), ...Object.keys(have)])) {
    if (have[name] !== counters[name])
      problems.push(`local_sequences ${name} is ${have[name]}, not ${counters[name]}`);
  }
  return problems;
}

/** Each terminal's chain verifies from the stored rows and links every sale and refund of it once. */
function journalProblems(db: Database.Database, sales: SaleRow[]): string[] {
  const problems: string[] = [];
  const verdict = db.transaction(() => verifyEdgeJournal(db, createDocuments(drizzle(db))))();
  for (const chain of verdict.chains) {
    if (!chain.intact) problems.push(`chain ${chain.terminal}: ${JSON.stringify(chain.firstBreak)}`);
    const documents = sales.filter((r) => r.terminal === chain.terminal).length;
    const linked = (
      db
        .prepare("SELECT count(*) AS n FROM journal_links WHERE terminal = ? AND kind IN ('sale', 'refund')")
        .get(chain.terminal) as { n: number }
    ).n;
    if (linked !== documents || chain.preJournal !== 0)
      problems.push(`chain ${chain.terminal}: ${linked} links for ${documents} documents`);
  }
  return problems;
}
