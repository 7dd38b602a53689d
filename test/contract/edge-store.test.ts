// The edge store's contract on a real SQLite file: one transaction per request, prices and tax from
// the local catalog, flags instead of refusals for what the edge cannot know, gapless receipts and
// outbox seq, idempotent ids, refunds within what was sold, shifts with X and Z reports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveEdgeConfig } from '../../edge/config.ts';
import { openEdgeStore } from '../../edge/store/store.ts';
import type { SaleInput } from '../../src/domain/payloads.ts';
import { type MutationKind, payloadSchemas } from '../../src/protocol/mutations.ts';
import { createTestEdge, rowCounts, seedCatalog, type TestEdge } from '../helpers/edge.ts';

let edge: TestEdge | undefined;
afterEach(() => {
  edge?.destroy();
  edge = undefined;
});

async function edgeWithCatalog(options: Parameters<typeof createTestEdge>[0] = {}) {
  edge = await createTestEdge(options);
  const ids = seedCatalog(edge.store, {
    products: [
      { sku: 'COFFEE-250', name: 'Coffee 250g', priceMinor: 450, barcode: '4001', taxRateBp: 2000 },
      { sku: 'TEA', priceMinor: 300, taxRateBp: 600, taxInclusive: true },
      { sku: 'OLD', priceMinor: 100, active: false },
      { sku: 'NOPRICE', priceMinor: null },
    ],
  });
  return { store: edge.store, ids };
}

const coffeeSale = (over: Partial<SaleInput> = {}): SaleInput => ({
  terminal: 'T1',
  lines: [{ sku: 'COFFEE-250', qtyMilli: 2000 }],
  payments: [{ method: 'cash', amountMinor: 2000 }],
  ...over,
});

function recorded<T>(
  outcome: { ok: true; value: { created: boolean; value: T } } | { ok: false; error: unknown },
) {
  if (!outcome.ok) throw new Error(`refused: ${JSON.stringify(outcome.error)}`);
  return outcome.value;
}

describe('edge store: sales', () => {
  it('writes the sale, its lines, payments, stock movements and one outbox entry together', async () => {
    const { store, ids } = await edgeWithCatalog();
    const { created, value: sale } = recorded(store.sales.recordSale(coffeeSale()));
    expect(created).toBe(true);
    expect(sale).toMatchObject({
      kind: 'sale',
      receiptNo: 'B01-T1-000001',
      currency: 'EUR',
      subtotalMinor: 900,
      taxMinor: 180,
      totalMinor: 1080,
      changeMinor: 920,
      flags: [],
      payments: [{ method: 'cash', amountMinor: 1080, tenderedMinor: 2000, changeMinor: 920 }],
    });
    expect(sale.lines).toEqual([
      expect.objectContaining({ productId: ids.get('COFFEE-250'), name: 'Coffee 250g', unitPriceMinor: 450 }),
    ]);
    expect(store.documents.read(sale.id)).toEqual(sale);
    const db = store.database.sqlite;
    // Lines and payments carry the document's date, kind and branch (tenant migration 0006).
    const copied = { business_date: sale.businessDate, kind: 'sale', branch_code: 'B01' };
    expect(db.prepare('SELECT business_date, kind, branch_code FROM sale_lines').all()).toEqual([copied]);
    expect(db.prepare('SELECT business_date, kind, branch_code FROM payments').all()).toEqual([copied]);
    expect(
      db.prepare('SELECT product_id, delta_qty_milli, reason, source_id FROM stock_movements').all(),
    ).toEqual([
      { product_id: ids.get('COFFEE-250'), delta_qty_milli: -2000, reason: 'sale', source_id: sale.id },
    ]);
    const outbox = db.prepare('SELECT seq, mutation_id, kind, payload, acked_at FROM outbox').all() as {
      payload: string;
    }[];
    expect(outbox).toEqual([
      { seq: 1, mutation_id: sale.id, kind: 'sale', payload: expect.any(String), acked_at: null },
    ]);
    expect(JSON.parse(outbox[0]!.payload)).toMatchObject({ ...sale, stockMovements: [expect.any(Object)] });
  });

  it('takes the branch price over the default, ignores prices not yet in force, and finds by barcode or id', async () => {
    const { store, ids } = await edgeWithCatalog();
    seedCatalog(store, { products: [], branch: { code: 'B01', timeZone: 'Europe/Lisbon' } });
    const db = store.database.sqlite;
    const branchId = (db.prepare("SELECT id FROM branches WHERE code = 'B01'").get() as { id: string }).id;
    const coffee = ids.get('COFFEE-250')!;
    const insert = db.prepare(
      "INSERT INTO prices (id, product_id, branch_id, price_minor, effective_from, created_at) VALUES (?, ?, ?, ?, ?, '2020-01-01T00:00:00.000Z')",
    );
    insert.run('p-branch', coffee, branchId, 420, '2021-01-01T00:00:00.000Z');
    insert.run('p-future', coffee, null, 999, '2999-01-01T00:00:00.000Z');
    insert.run('p-future-branch', coffee, branchId, 998, '2999-01-01T00:00:00.000Z');
    for (const line of [{ sku: 'COFFEE-250' }, { barcode: '4001' }, { productId: coffee }]) {
      const { value } = recorded(
        store.sales.recordSale(coffeeSale({ lines: [{ ...line, qtyMilli: 1000 }] })),
      );
      expect(value.lines[0]).toMatchObject({ unitPriceMinor: 420, flags: [] });
    }
  });

  it('copies rate and inclusiveness onto the line (tax-inclusive price keeps its total)', async () => {
    const { store } = await edgeWithCatalog();
    const { value } = recorded(
      store.sales.recordSale(
        coffeeSale({
          lines: [{ sku: 'TEA', qtyMilli: 1000 }],
          payments: [{ method: 'card', amountMinor: 300 }],
        }),
      ),
    );
    expect(value.lines[0]).toMatchObject({
      taxRateBp: 600,
      taxInclusive: true,
      totalMinor: 300,
      taxMinor: 17,
    });
    expect(value.totalMinor).toBe(300);
  });

  it('flags what the edge could not know instead of refusing: price override, open price, inactive product, unknown cashier', async () => {
    const { store } = await edgeWithCatalog();
    const { value } = recorded(
      store.sales.recordSale(
        coffeeSale({
          cashier: 'nobody@example.com',
          lines: [
            { sku: 'COFFEE-250', qtyMilli: 1000, unitPriceMinor: 400 },
            { sku: 'OLD', qtyMilli: 1000 },
            { name: 'Gift wrap', unitPriceMinor: 150, qtyMilli: 1000, taxRateBp: 2000 },
          ],
        }),
      ),
    );
    expect(value.lines.map((l) => l.flags)).toEqual([
      ['price_override'],
      ['inactive_product'],
      ['open_price'],
    ]);
    expect(value.flags.sort()).toEqual([
      'inactive_product',
      'open_price',
      'price_override',
      'unknown_cashier',
    ]);
    expect(value).toMatchObject({ cashier: 'nobody@example.com', cashierUserId: null });
  });

  it('links a known cashier (email, any case) to the user', async () => {
    const { store } = await edgeWithCatalog();
    store.database.sqlite.exec(`
      INSERT INTO roles (id, name, permissions) VALUES ('cashier', 'Cashier', '[]');
      INSERT INTO users (id, email, name, role_id, active, created_at, updated_at)
        VALUES ('u1', 'alice@example.com', 'Alice', 'cashier', 1, '2020-01-01T00:00:00Z', '2020-01-01T00:00:00Z');`);
    const { value } = recorded(store.sales.recordSale(coffeeSale({ cashier: 'Alice@Example.com' })));
    expect(value).toMatchObject({ cashier: 'Alice@Example.com', cashierUserId: 'u1', flags: [] });
  });

  it('refuses a catalog line without a price unless it brings its own', async () => {
    const { store } = await edgeWithCatalog();
    const before = rowCounts(store);
    const refused = store.sales.recordSale(coffeeSale({ lines: [{ sku: 'NOPRICE', qtyMilli: 1000 }] }));
    expect(refused).toMatchObject({ ok: false, error: { code: 'no_price' } });
    expect(rowCounts(store)).toEqual(before);
    const { value } = recorded(
      store.sales.recordSale(coffeeSale({ lines: [{ sku: 'NOPRICE', qtyMilli: 1000, unitPriceMinor: 50 }] })),
    );
    expect(value.lines[0]!.flags).toEqual(['price_override']);
  });

  it('numbers receipts gaplessly per terminal and the outbox per device; refusals use no number', async () => {
    const { store } = await edgeWithCatalog();
    const receipts: string[] = [];
    for (const terminal of ['T1', 'T2', 'T1', 'T1', 'T2']) {
      expect(store.sales.recordSale(coffeeSale({ lines: [{ sku: 'MISSING', qtyMilli: 1 }] })).ok).toBe(false);
      receipts.push(recorded(store.sales.recordSale(coffeeSale({ terminal }))).value.receiptNo);
    }
    expect(receipts).toEqual([
      'B01-T1-000001',
      'B01-T2-000001',
      'B01-T1-000002',
      'B01-T1-000003',
      'B01-T2-000002',
    ]);
    const seqs = store.database.sqlite.prepare('SELECT seq FROM outbox ORDER BY seq').pluck().all();
    expect(seqs).toEqual([1, 2, 3, 4, 5]);
  });

  it('answers a repeated id with the first answer and writes nothing', async () => {
    const { store } = await edgeWithCatalog();
    const id = '0190f5c2-6b1e-7c3a-9a51-3f0b8a2d4e10';
    const first = recorded(store.sales.recordSale(coffeeSale({ id })));
    const before = rowCounts(store);
    const again = recorded(
      store.sales.recordSale(coffeeSale({ id, lines: [{ sku: 'TEA', qtyMilli: 5000 }] })),
    );
    expect(again).toEqual({ created: false, value: first.value });
    expect(rowCounts(store)).toEqual(before);
  });

  it('refuses an id already used by another kind of document', async () => {
    const { store } = await edgeWithCatalog();
    const shift = recorded(store.shifts.open({ terminal: 'T1', openingFloatMinor: 0 }));
    const before = rowCounts(store);
    expect(store.sales.recordSale(coffeeSale({ id: shift.value.id }))).toMatchObject({
      ok: false,
      error: { code: 'id_conflict' },
    });
    expect(rowCounts(store)).toEqual(before);
  });

  it('dates a sale by the branch time zone: 23:30 local belongs to that local day', async () => {
    const clock = new Date('2026-03-14T23:30:00.000Z');
    edge = await createTestEdge({ now: () => clock, identity: { timeZone: 'Europe/Lisbon' } });
    const store = edge.store;
    const open = { name: 'Item', unitPriceMinor: 100, qtyMilli: 1000, taxRateBp: 0 };
    const sale = () =>
      recorded(
        store.sales.recordSale({
          terminal: 'T1',
          lines: [open],
          payments: [{ method: 'cash', amountMinor: 100 }],
        }),
      ).value;
    expect(sale().businessDate).toBe('2026-03-14');
    // Once the catalog brings the branch, its time zone wins over the start-up fallback.
    seedCatalog(store, { products: [], branch: { code: 'B01', timeZone: 'Asia/Tokyo' } });
    expect(sale()).toMatchObject({ businessDate: '2026-03-15', occurredAt: '2026-03-14T23:30:00.000Z' });
  });

  it("uses the tenant's currency once the catalog has it, and refuses a sale in another", async () => {
    edge = await createTestEdge({ identity: { currency: undefined } });
    const store = edge.store;
    const open = { name: 'Item', unitPriceMinor: 100, qtyMilli: 1000, taxRateBp: 0 };
    const input = {
      terminal: 'T1',
      lines: [open],
      payments: [{ method: 'cash' as const, amountMinor: 100 }],
    };
    expect(store.sales.recordSale(input)).toMatchObject({ ok: false, error: { code: 'currency_unknown' } });
    expect(recorded(store.sales.recordSale({ ...input, currency: 'USD' })).value.currency).toBe('USD');
    // The first sale's currency is kept: the edge never sells in two.
    expect(store.sales.recordSale({ ...input, currency: 'EUR' })).toMatchObject({
      ok: false,
      error: { code: 'wrong_currency' },
    });
    expect(recorded(store.sales.recordSale(input)).value.currency).toBe('USD');
    await expect(edge!.reopen({ identity: { currency: 'EUR' } })).rejects.toThrow(/has sold in USD/);
    await edge!.reopen({ identity: {} });
    seedCatalog(edge!.store, { products: [], currency: 'GBP' });
    expect(recorded(edge!.store.sales.recordSale(input)).value.currency).toBe('GBP');
    expect(edge!.store.sales.recordSale({ ...input, currency: 'EUR' })).toMatchObject({
      ok: false,
      error: { code: 'wrong_currency' },
    });
  });
});

describe('edge store: refunds', () => {
  it('refunds part of a line with its own receipt series, puts stock back, and stops at what was sold', async () => {
    const { store, ids } = await edgeWithCatalog();
    const sale = recorded(
      store.sales.recordSale(coffeeSale({ lines: [{ sku: 'COFFEE-250', qtyMilli: 3000 }] })),
    ).value;
    const refund = (qtyMilli: number, amountMinor: number) =>
      store.sales.recordRefund(sale.id, {
        terminal: 'T2',
        reason: 'damaged',
        lines: [{ lineNo: 1, qtyMilli }],
        payments: [{ method: 'cash', amountMinor }],
      });
    const first = recorded(refund(1000, 540)).value;
    expect(first).toMatchObject({
      kind: 'refund',
      receiptNo: 'B01-T2-R000001',
      originalSaleId: sale.id,
      totalMinor: 540,
      reason: 'damaged',
      lines: [
        expect.objectContaining({ originalLineNo: 1, qtyMilli: 1000, productId: ids.get('COFFEE-250') }),
      ],
    });
    const copies = (table: string) =>
      store.database.sqlite
        .prepare(`SELECT business_date, kind, branch_code FROM ${table} WHERE sale_id = ?`)
        .all(first.id);
    const copied = { business_date: first.businessDate, kind: 'refund', branch_code: 'B01' };
    expect(copies('sale_lines')).toEqual([copied]);
    expect(copies('payments')).toEqual([copied]);
    const before = rowCounts(store);
    expect(refund(2001, 1081)).toMatchObject({ ok: false, error: { code: 'refund_exceeds_sold' } });
    expect(refund(2000, 1)).toMatchObject({ ok: false, error: { code: 'refund_payment_mismatch' } });
    expect(rowCounts(store)).toEqual(before);
    const second = recorded(refund(2000, 1080)).value;
    expect(second.receiptNo).toBe('B01-T2-R000002');
    expect(first.totalMinor + second.totalMinor).toBe(sale.totalMinor);
    const stock = store.database.sqlite
      .prepare('SELECT sum(delta_qty_milli) FROM stock_movements')
      .pluck()
      .get();
    expect(stock).toBe(0);
  });

  it('refuses refunds of unknown sales, of refunds and of lines the sale does not have', async () => {
    const { store } = await edgeWithCatalog();
    const sale = recorded(store.sales.recordSale(coffeeSale())).value;
    const body = {
      terminal: 'T1',
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
      payments: [{ method: 'cash' as const, amountMinor: 540 }],
    };
    const refund = recorded(store.sales.recordRefund(sale.id, body)).value;
    const before = rowCounts(store);
    expect(store.sales.recordRefund('nope', body)).toMatchObject({
      ok: false,
      error: { code: 'sale_not_found' },
    });
    expect(store.sales.recordRefund(refund.id, body)).toMatchObject({
      ok: false,
      error: { code: 'not_refundable' },
    });
    expect(store.sales.recordRefund(sale.id, { ...body, lines: [{ lineNo: 9, qtyMilli: 1 }] })).toMatchObject(
      {
        ok: false,
        error: { code: 'unknown_line' },
      },
    );
    // A repeated refund id is the first answer; the same id against another sale is a conflict.
    expect(recorded(store.sales.recordRefund(sale.id, { ...body, id: refund.id }))).toEqual({
      created: false,
      value: refund,
    });
    const other = recorded(store.sales.recordSale(coffeeSale())).value;
    expect(rowCounts(store)).not.toEqual(before);
    const after = rowCounts(store);
    expect(store.sales.recordRefund(other.id, { ...body, id: refund.id })).toMatchObject({
      ok: false,
      error: { code: 'id_conflict' },
    });
    expect(rowCounts(store)).toEqual(after);
  });
});

describe('edge store: shifts', () => {
  it('attaches sales to the open shift and closes with a Z report of expected against counted', async () => {
    const { store } = await edgeWithCatalog();
    const shift = recorded(
      store.shifts.open({ terminal: 'T1', cashier: 'alice', openingFloatMinor: 10_000 }),
    ).value;
    expect(store.shifts.open({ terminal: 'T1', openingFloatMinor: 0 })).toMatchObject({
      ok: false,
      error: { code: 'shift_already_open', details: { shiftId: shift.id } },
    });
    const cashSale = recorded(store.sales.recordSale(coffeeSale())).value; // 1080 cash, change 920
    recorded(store.sales.recordSale(coffeeSale({ payments: [{ method: 'card', amountMinor: 1080 }] })));
    const otherTerminal = recorded(store.sales.recordSale(coffeeSale({ terminal: 'T2' }))).value;
    expect(cashSale.shiftId).toBe(shift.id);
    expect(otherTerminal.shiftId).toBeNull();
    recorded(
      store.sales.recordRefund(cashSale.id, {
        terminal: 'T1',
        lines: [{ lineNo: 1, qtyMilli: 1000 }],
        payments: [{ method: 'cash', amountMinor: 540 }],
      }),
    );
    recorded(store.shifts.moveCash(shift.id, { direction: 'in', amountMinor: 500, reason: 'change roll' }));
    recorded(store.shifts.moveCash(shift.id, { direction: 'out', amountMinor: 2000, reason: 'bank drop' }));

    const x = store.shifts.report(shift.id);
    expect(x).toMatchObject({
      ok: true,
      value: {
        kind: 'x',
        salesCount: 2,
        salesTotalMinor: 2160,
        refundsCount: 1,
        refundsTotalMinor: 540,
        taxMinor: 360 - 90,
        cashInMinor: 500,
        cashOutMinor: 2000,
        tenders: [
          {
            method: 'cash',
            expectedMinor: 10_000 + 1080 - 540 + 500 - 2000,
            countedMinor: null,
            differenceMinor: null,
          },
          { method: 'card', expectedMinor: 1080, countedMinor: null, differenceMinor: null },
        ],
      },
    });
    const z = store.shifts.close(shift.id, {
      cashier: 'alice',
      counted: [
        { method: 'cash', countedMinor: 9000 },
        { method: 'card', countedMinor: 1080 },
      ],
    });
    expect(z).toMatchObject({
      ok: true,
      value: {
        kind: 'z',
        shift: { closedBy: 'alice', closedAt: expect.any(String) },
        tenders: [
          { method: 'cash', expectedMinor: 9040, countedMinor: 9000, differenceMinor: -40 },
          { method: 'card', expectedMinor: 1080, countedMinor: 1080, differenceMinor: 0 },
        ],
      },
    });
    // The closed shift keeps answering its Z report; it takes no more cash and no second close.
    expect(store.shifts.report(shift.id)).toMatchObject({ ok: true, value: { kind: 'z' } });
    const before = rowCounts(store);
    expect(store.shifts.close(shift.id, { counted: [{ method: 'cash', countedMinor: 1 }] })).toMatchObject({
      ok: false,
      error: { code: 'shift_closed' },
    });
    expect(store.shifts.moveCash(shift.id, { direction: 'in', amountMinor: 1, reason: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'shift_closed' },
    });
    expect(rowCounts(store)).toEqual(before);
    // Sales after the close belong to no shift until the next one opens.
    expect(recorded(store.sales.recordSale(coffeeSale())).value.shiftId).toBeNull();
    // A retried open answers the shift as opened; a retried close gets its Z report in the refusal.
    expect(recorded(store.shifts.open({ id: shift.id, terminal: 'T1', openingFloatMinor: 10_000 }))).toEqual({
      created: false,
      value: shift,
    });
    expect(store.shifts.close(shift.id, { counted: [{ method: 'cash', countedMinor: 9000 }] })).toMatchObject(
      {
        ok: false,
        error: {
          code: 'shift_closed',
          details: { zReport: { kind: 'z', tenders: [{ countedMinor: 9000 }, {}] } },
        },
      },
    );
    // Every outbox payload is what the wire contract says its kind carries.
    const rows = store.database.sqlite.prepare('SELECT kind, payload FROM outbox ORDER BY seq').all() as {
      kind: MutationKind;
      payload: string;
    }[];
    for (const row of rows)
      expect(payloadSchemas[row.kind].safeParse(JSON.parse(row.payload)).error).toBeUndefined();
    const kinds = store.database.sqlite.prepare('SELECT kind FROM outbox ORDER BY seq').pluck().all();
    expect(kinds).toEqual([
      'shift_open',
      'sale',
      'sale',
      'sale',
      'refund',
      'cash_movement',
      'cash_movement',
      'shift_close',
      'sale',
    ]);
  });

  it('gives an X report while another process holds the write lock', async () => {
    const { store } = await edgeWithCatalog();
    const shift = recorded(store.shifts.open({ terminal: 'T1', openingFloatMinor: 100 })).value;
    const other = new Database(edge!.file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const started = Date.now();
      expect(store.shifts.report(shift.id)).toMatchObject({ ok: true, value: { kind: 'x' } });
      expect(Date.now() - started).toBeLessThan(1000);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
  });

  it('answers unknown shifts and repeated ids', async () => {
    const { store } = await edgeWithCatalog();
    expect(store.shifts.report('nope')).toMatchObject({ ok: false, error: { code: 'shift_not_found' } });
    expect(store.shifts.moveCash('nope', { direction: 'in', amountMinor: 1, reason: 'x' })).toMatchObject({
      ok: false,
      error: { code: 'shift_not_found' },
    });
    const id = '11111111-2222-4333-8444-555555555555';
    const first = recorded(store.shifts.open({ id, terminal: 'T1', openingFloatMinor: 100 }));
    expect(recorded(store.shifts.open({ id, terminal: 'T1', openingFloatMinor: 100 }))).toEqual({
      created: false,
      value: first.value,
    });
    const mid = '11111111-2222-4333-8444-666666666666';
    const moved = recorded(
      store.shifts.moveCash(id, { id: mid, direction: 'out', amountMinor: 5, reason: 'x' }),
    );
    expect(
      recorded(store.shifts.moveCash(id, { id: mid, direction: 'out', amountMinor: 5, reason: 'x' })),
    ).toEqual({
      created: false,
      value: moved.value,
    });
  });
});

describe('edge store: identity, status and durability', () => {
  it('needs a branch on first start, then keeps its tenant and branch', async () => {
    edge = await createTestEdge({ identity: { orgId: 'acme' } });
    await expect(edge.reopen({ identity: { branch: 'B02' } })).rejects.toThrow(/branch B01/);
    await expect(edge.reopen({ identity: { orgId: 'globex' } })).rejects.toThrow(/belongs to tenant acme/);
    const store = await edge.reopen({ identity: {} });
    expect(store.branch).toBe('B01');
    const dir = mkdtempSync(join(tmpdir(), 'modernpos-edge-'));
    try {
      await expect(openEdgeStore(join(dir, 'edge.db'), { identity: {} })).rejects.toThrow(
        /pass --branch CODE/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports pending mutations and their age until the cloud acknowledges them', async () => {
    let clock = new Date('2026-05-01T10:00:00.000Z');
    const { store } = await edgeWithCatalog({ now: () => clock });
    expect(store.outbox.status(clock)).toEqual({
      pending: 0,
      oldestPendingAgeSeconds: null,
      lastSyncAt: null,
      outboxEmptyAt: null,
      lastError: null,
      quarantined: 0,
    });
    recorded(store.sales.recordSale(coffeeSale()));
    clock = new Date('2026-05-01T10:05:00.000Z');
    recorded(store.sales.recordSale(coffeeSale()));
    expect(store.outbox.status(clock)).toMatchObject({ pending: 2, oldestPendingAgeSeconds: 300 });
  });

  it('syncs every commit to disk by default and keeps sales across a reopen', async () => {
    // Opened as the product opens it: no synchronous option (the test helper's default is NORMAL
    // for speed), and the agent's own setting left unset.
    expect(resolveEdgeConfig({}, {}, { cloudRequired: false }).synchronous).toBe('full');
    const dir = mkdtempSync(join(tmpdir(), 'modernpos-edge-'));
    const file = join(dir, 'edge.db');
    const identity = { branch: 'B01', currency: 'EUR', timeZone: 'Europe/Lisbon' };
    let store = await openEdgeStore(file, { identity });
    try {
      expect(store.database.sqlite.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(store.database.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      const open = { name: 'Item', unitPriceMinor: 100, qtyMilli: 1000, taxRateBp: 0 };
      const sale = recorded(
        store.sales.recordSale({
          terminal: 'T1',
          lines: [open],
          payments: [{ method: 'cash', amountMinor: 100 }],
        }),
      ).value;
      store.close();
      store = await openEdgeStore(file, { identity: {} });
      // synchronous is a setting of the connection, not of the file: a reopen must set it again.
      expect(store.database.sqlite.pragma('synchronous', { simple: true })).toBe(2);
      expect(store.documents.read(sale.id)).toEqual(sale);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
