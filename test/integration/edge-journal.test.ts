// The journal at the edge (docs/edge.md#the-journal) on a real SQLite file: every document links into
// its terminal's chain in the transaction that records it, the outbox carries the link, a shift close
// seals the grand totals, a refused or rolled-back sale gives back its seq, GET /v1/journal/verify
// finds an edited, deleted, reordered or cut-off document at its exact seq (tampered through a second
// connection on the file), and a database from before the journal starts its chains after its documents.
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { createEdgeApp } from '../../edge/http/app.ts';
import type { EdgeStore, EdgeStoreOptions } from '../../edge/store/store.ts';
import type { SaleInput } from '../../src/domain/payloads.ts';
import { journalVerificationSchema } from '../../src/protocol/edge-api.ts';
import { payloadSchemas } from '../../src/protocol/mutations.ts';
import { saleInput } from '../bench/edge-sales.ts';
import { runCli } from '../helpers/cli.ts';
import {
  call,
  createTestEdge,
  outboxMutations,
  rowCounts,
  seedCatalog,
  type TestEdge,
} from '../helpers/edge.ts';

const PRODUCTS = [
  { sku: 'COFFEE-250G', priceMinor: 699, taxRateBp: 600 },
  { sku: 'MILK-1L', priceMinor: 119, taxRateBp: 600 },
  { sku: 'MUG-CERAMIC', priceMinor: 1250, taxRateBp: 2300 },
];

const edges: TestEdge[] = [];
afterEach(() => {
  for (const e of edges.splice(0)) e.destroy();
});

async function newEdge(
  options: Pick<EdgeStoreOptions, 'journal' | 'refundApprovalAboveMinor'> = {},
): Promise<TestEdge> {
  const edge = await createTestEdge({ identity: { orgId: 'acme' }, ...options });
  edges.push(edge);
  seedCatalog(edge.store, { products: PRODUCTS, currency: 'EUR' });
  return edge;
}

function sell(store: EdgeStore, input: SaleInput = saleInput()) {
  const outcome = store.sales.recordSale(input);
  if (!outcome.ok) throw new Error(`${outcome.error.code}: ${outcome.error.message}`);
  return outcome.value.value;
}

async function verify(store: EdgeStore, query = '') {
  const app: Hono = createEdgeApp({ store });
  const res = await call(app, 'GET', `/v1/journal/verify${query}`);
  expect(res.status).toBe(200);
  return journalVerificationSchema.parse(res.body);
}

const links = (store: EdgeStore, terminal = 'T1') =>
  store.database.sqlite
    .prepare(
      'SELECT journal_seq AS seq, kind, document_id AS documentId, prev_hash AS prevHash, hash FROM journal_links WHERE terminal = ? ORDER BY journal_seq',
    )
    .all(terminal) as { seq: number; kind: string; documentId: string; prevHash: string; hash: string }[];

const head = (store: EdgeStore, terminal = 'T1') =>
  store.database.sqlite.prepare('SELECT * FROM journal_heads WHERE terminal = ?').get(terminal) as
    | Record<string, number | string>
    | undefined;

/** A second connection on the edge's file, as someone editing it by hand would open it. */
function tamper(edge: TestEdge, sql: string, ...params: unknown[]): void {
  const other = new Database(edge.file);
  try {
    other.prepare(sql).run(...params);
  } finally {
    other.close();
  }
}

function deleteSale(edge: TestEdge, id: string): void {
  for (const t of ['sale_lines', 'payments']) tamper(edge, `DELETE FROM ${t} WHERE sale_id = ?`, id);
  tamper(edge, 'DELETE FROM stock_movements WHERE source_id = ?', id);
  tamper(edge, 'DELETE FROM sales WHERE id = ?', id);
}

describe('recording', () => {
  it('links each document of a terminal in order, the outbox carries the link, and the close seals the grand totals', async () => {
    const { store } = await newEdge({ refundApprovalAboveMinor: 100 });
    const shift = store.shifts.open({ terminal: 'T1', openingFloatMinor: 10_000 });
    if (!shift.ok) throw new Error('shift refused');
    const a = sell(store);
    const b = sell(store);
    const moved = store.shifts.moveCash(shift.value.value.id, {
      direction: 'out',
      amountMinor: 500,
      reason: 'bank',
    });
    expect(moved.ok).toBe(true);
    const refund = store.sales.recordRefund(
      a.id,
      {
        terminal: 'T1',
        lines: [{ lineNo: 1, qtyMilli: 2_000 }],
        payments: [{ method: 'cash', amountMinor: a.lines[0]!.totalMinor }],
      },
      // A manager's own session: the refund over the limit carries the approval, which its link hashes.
      { user: { id: randomUUID(), name: 'Mo', role: 'manager' }, terminal: 'T1', approvalsRequired: true },
    );
    if (!refund.ok) throw new Error('refund refused');
    expect(refund.value.value.approval?.reasons).toEqual(['refund_over_limit']);
    const other = sell(store, { ...saleInput(), terminal: 'T2' });
    const z = store.shifts.close(shift.value.value.id, { counted: [{ method: 'cash', countedMinor: 1 }] });
    if (!z.ok) throw new Error('close refused');

    const chain = links(store);
    expect(chain.map((l) => [l.seq, l.kind])).toEqual([
      [1, 'shift_open'],
      [2, 'sale'],
      [3, 'sale'],
      [4, 'cash_movement'],
      [5, 'refund'],
      [6, 'shift_close'],
    ]);
    expect(chain.at(-1)!.documentId).toBe(shift.value.value.id);
    for (const [i, l] of chain.entries()) if (i > 0) expect(l.prevHash).toBe(chain[i - 1]!.hash);
    // T2 has its own chain from seq 1.
    expect(links(store, 'T2').map((l) => [l.seq, l.documentId])).toEqual([[1, other.id]]);

    // Every journaled mutation carries its link, and the payloads still pass the wire schemas.
    const mutations = outboxMutations(store);
    for (const m of mutations) {
      const schema = payloadSchemas[m.kind as keyof typeof payloadSchemas];
      expect(schema.safeParse(m.payload).success, m.kind).toBe(true);
    }
    const carried = mutations
      .filter((m) => m.kind !== 'cashier_event')
      .map((m) => (m.payload as { journal?: { terminal: string; seq: number; hash: string } }).journal);
    expect(carried.filter((j) => j?.terminal === 'T1').map((j) => [j!.seq, j!.hash])).toEqual(
      chain.map((l) => [l.seq, l.hash]),
    );

    const sales = a.totalMinor + b.totalMinor;
    const seal = {
      grandSalesMinor: sales,
      grandRefundsMinor: refund.value.value.totalMinor,
      grandTaxMinor: a.taxMinor + b.taxMinor - refund.value.value.taxMinor,
      lastDocumentHash: chain[4]!.hash,
    };
    expect(z.value.seal).toEqual(seal);
    const close = mutations.find((m) => m.kind === 'shift_close')!.payload as { seal?: unknown };
    expect(close.seal).toEqual(seal);
    expect(head(store)).toMatchObject({
      last_seq: 6,
      grand_sales_minor: seal.grandSalesMinor,
      grand_refunds_minor: seal.grandRefundsMinor,
      grand_tax_minor: seal.grandTaxMinor,
      org_id: 'acme',
    });
    // The Z report keeps answering the seal; an X report has none.
    const again = store.shifts.report(shift.value.value.id);
    expect(again.ok && again.value.seal).toEqual(seal);

    const verdict = await verify(store);
    expect(verdict.intact).toBe(true);
    expect(verdict.chains.map((c) => [c.terminal, c.links, c.headSeq, c.preJournal])).toEqual([
      ['T1', 6, 6, 0],
      ['T2', 1, 1, 0],
    ]);
    expect((await verify(store, '?terminal=T2')).chains.map((c) => c.terminal)).toEqual(['T2']);
  });

  it('gives no seq to a refused sale and refuses one that would take a grand total past 2^53 − 1, writing nothing', async () => {
    const { store } = await newEdge();
    sell(store);
    const unknown = store.sales.recordSale({ ...saleInput(), lines: [{ sku: 'NOPE', qtyMilli: 1_000 }] });
    expect(unknown.ok).toBe(false);
    store.database.sqlite
      .prepare('UPDATE journal_heads SET grand_sales_minor = ? WHERE terminal = ?')
      .run(Number.MAX_SAFE_INTEGER - 10, 'T1');
    const before = rowCounts(store);
    const over = store.sales.recordSale(saleInput());
    expect(over).toMatchObject({
      ok: false,
      error: { code: 'amount_too_large', details: { field: 'grandSalesMinor' } },
    });
    expect(rowCounts(store)).toEqual(before);
    sell(store, { ...saleInput(), terminal: 'T1', lines: [{ sku: 'MILK-1L', qtyMilli: 0 }], payments: [] });
    expect(links(store).map((l) => l.seq)).toEqual([1, 2]);
    expect((await verify(store)).intact).toBe(true);
  });

  it("keeps a till's grand tax negative when it refunds more tax than it sold (another till's sale)", async () => {
    const { store } = await newEdge();
    const sale = sell(store);
    const refund = store.sales.recordRefund(sale.id, {
      terminal: 'T2',
      lines: [{ lineNo: 3, qtyMilli: 1_000 }],
      payments: [{ method: 'cash', amountMinor: sale.lines[2]!.totalMinor }],
    });
    if (!refund.ok) throw new Error('refund refused');
    expect(refund.value.value.taxMinor).toBeGreaterThan(0);
    expect(head(store, 'T2')).toMatchObject({
      grand_sales_minor: 0,
      grand_refunds_minor: refund.value.value.totalMinor,
      grand_tax_minor: -refund.value.value.taxMinor,
    });
    expect((await verify(store)).intact).toBe(true);
  });

  it('keeps the chain gapless when sales share a group commit and one write of the group rolls back', async () => {
    const { store } = await newEdge();
    const settled = await Promise.allSettled([
      store.groupCommit.run(() => sell(store)),
      store.groupCommit.run(() => sell(store)),
      store.groupCommit.run(() => {
        sell(store);
        throw new Error('this write fails after its sale');
      }),
      store.groupCommit.run(() =>
        store.sales.recordSale({ ...saleInput(), lines: [{ sku: 'NOPE', qtyMilli: 1 }] }),
      ),
      store.groupCommit.run(() => sell(store)),
    ]);
    expect(settled.map((s) => s.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    expect(links(store).map((l) => l.seq)).toEqual([1, 2, 3]);
    expect(head(store)).toMatchObject({ last_seq: 3 });
    expect((await verify(store)).intact).toBe(true);
  });
});

describe('tampering with the edge file', () => {
  /** Five sales on T1; their ids in seq order. */
  async function fiveSales(): Promise<{ edge: TestEdge; ids: string[] }> {
    const edge = await newEdge();
    const ids = Array.from({ length: 5 }, () => sell(edge.store).id);
    expect((await verify(edge.store)).intact).toBe(true);
    return { edge, ids };
  }
  const firstBreak = async (edge: TestEdge) => {
    const verdict = await verify(edge.store);
    expect(verdict.intact).toBe(false);
    return verdict.chains.find((c) => c.terminal === 'T1')!.firstBreak;
  };

  it('finds an edited total at its sale', async () => {
    const { edge, ids } = await fiveSales();
    tamper(edge, 'UPDATE sales SET total_minor = total_minor - 100 WHERE id = ?', ids[2]);
    expect(await firstBreak(edge)).toEqual({ seq: 3, reason: 'hash_mismatch', documentId: ids[2] });
  });

  it('finds a deleted sale as missing, and as a gap once its link is gone too', async () => {
    const { edge, ids } = await fiveSales();
    deleteSale(edge, ids[1]!);
    expect(await firstBreak(edge)).toEqual({ seq: 2, reason: 'document_missing', documentId: ids[1] });
    tamper(edge, "DELETE FROM journal_links WHERE terminal = 'T1' AND journal_seq = 2");
    expect(await firstBreak(edge)).toEqual({ seq: 2, reason: 'gap', documentId: null });
  });

  it('finds two sales swapped in the chain at the first of them', async () => {
    const { edge } = await fiveSales();
    tamper(edge, "UPDATE journal_links SET journal_seq = 100 WHERE terminal = 'T1' AND journal_seq = 2");
    tamper(edge, "UPDATE journal_links SET journal_seq = 2 WHERE terminal = 'T1' AND journal_seq = 3");
    tamper(edge, "UPDATE journal_links SET journal_seq = 3 WHERE terminal = 'T1' AND journal_seq = 100");
    expect(await firstBreak(edge)).toMatchObject({ seq: 2, reason: 'prev_hash_mismatch' });
  });

  it('is what `modernpos edge journal verify` reports, exiting 1 once a chain is broken', async () => {
    const { edge, ids } = await fiveSales();
    const verifyCli = () => runCli(['edge', 'journal', 'verify', '--edge-db', edge.file], {});
    const intact = await verifyCli();
    expect(intact).toMatchObject({ code: 0, err: '' });
    expect(intact.out).toContain('terminal T1: intact; 5 links, head 5');
    tamper(edge, 'UPDATE sale_lines SET qty_milli = 1 WHERE sale_id = ? AND line_no = 2', ids[3]);
    const broken = await verifyCli();
    expect(broken.code).toBe(1);
    expect(broken.out).toContain(`terminal T1: BROKEN at seq 4: hash_mismatch (document ${ids[3]})`);
    const json = await runCli(['edge', 'journal', 'verify', 'T1', '--edge-db', edge.file, '--json'], {});
    expect(journalVerificationSchema.parse(JSON.parse(json.out))).toMatchObject({ intact: false });
  });

  it('finds a chain cut off its end at the first missing seq', async () => {
    const { edge, ids } = await fiveSales();
    for (const id of ids.slice(3)) deleteSale(edge, id);
    tamper(edge, "DELETE FROM journal_links WHERE terminal = 'T1' AND journal_seq >= 4");
    expect(await firstBreak(edge)).toEqual({ seq: 4, reason: 'truncated', documentId: null });
  });
});

describe('a database from before the journal', () => {
  it('migrates, starts each chain after its documents, counts them pre-journal and stays intact', async () => {
    const edge = await newEdge({ journal: false });
    const early = [sell(edge.store), sell(edge.store)];
    const shift = edge.store.shifts.open({ terminal: 'T1', openingFloatMinor: 0 });
    if (!shift.ok) throw new Error('shift refused');
    // Back to the schema before tenant migration 0012: no journal tables, no seal columns (and 0013's
    // dropped index back and 0014's column gone, as they came after).
    edge.store.close();
    tamper(edge, 'ALTER TABLE stock_on_hand DROP COLUMN max_occurred_at');
    tamper(edge, "DELETE FROM schema_migrations WHERE component = 'tenant' AND version = 14");
    tamper(edge, 'CREATE INDEX stock_movements_branch_product ON stock_movements (branch_code, product_id)');
    tamper(edge, "DELETE FROM schema_migrations WHERE component = 'tenant' AND version = 13");
    tamper(edge, 'DROP TABLE journal_links');
    tamper(edge, 'DROP TABLE journal_heads');
    for (const col of ['grand_sales_minor', 'grand_refunds_minor', 'grand_tax_minor', 'last_document_hash'])
      tamper(edge, `ALTER TABLE shifts DROP COLUMN seal_${col}`);
    tamper(edge, "DELETE FROM schema_migrations WHERE component = 'tenant' AND version = 12");

    const store = await edge.reopen({ journal: true });
    expect(store.database.tenantSchemaVersion).toBe(14);
    const before = await verify(store);
    expect(before).toEqual({
      intact: true,
      chains: [expect.objectContaining({ terminal: 'T1', links: 0, headSeq: 0, preJournal: 3 })],
    });

    const later = sell(store);
    const z = store.shifts.close(shift.value.value.id, { counted: [{ method: 'cash', countedMinor: 0 }] });
    if (!z.ok) throw new Error('close refused');
    const chain = links(store);
    expect(chain.map((l) => [l.seq, l.kind, l.documentId])).toEqual([
      [1, 'sale', later.id],
      [2, 'shift_close', shift.value.value.id],
    ]);
    // The grand totals start from the terminal's documents already stored.
    const sold = [...early, later];
    expect(z.value.seal).toEqual({
      grandSalesMinor: sold.reduce((s, x) => s + x.totalMinor, 0),
      grandRefundsMinor: 0,
      grandTaxMinor: sold.reduce((s, x) => s + x.taxMinor, 0),
      lastDocumentHash: chain[0]!.hash,
    });
    const after = await verify(store);
    expect(after.intact).toBe(true);
    expect(after.chains).toEqual([
      expect.objectContaining({ terminal: 'T1', links: 2, headSeq: 2, preJournal: 3, firstBreak: null }),
    ]);
  });
});
