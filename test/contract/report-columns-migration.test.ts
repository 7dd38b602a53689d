// Tenant migration 0006 on every engine: sale lines and payments written before it get their sale's
// business date, kind and branch, keep every other value, and from then on refuse a row without
// them. SQLite rebuilds both tables (it cannot add a NOT NULL column without a default), so there
// the foreign key to sales must also survive the swap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { MigrationSet } from '../../src/migrate/files.ts';
import { type MigrationTarget, migrate } from '../../src/migrate/runner.ts';
import { createTestPlatform, engineNames, type TestPlatform } from '../helpers/engines.ts';
import { onNewCloudDatabase, onNewEdgeDatabase } from '../helpers/migrations.ts';

const VERSION = 6;
const before = (set: MigrationSet): MigrationSet => ({
  component: set.component,
  migrations: set.migrations.filter((m) => m.version < VERSION),
});

/** A sale in MAIN and its refund a day later in LIS (a refund may be given at another branch). */
const DOCUMENTS = [
  {
    id: 'sale-1',
    receipt: 'MAIN-T1-000001',
    kind: 'sale',
    original: null,
    branch: 'MAIN',
    date: '2026-03-01',
  },
  {
    id: 'refund-1',
    receipt: 'LIS-T1-R000001',
    kind: 'refund',
    original: 'sale-1',
    branch: 'LIS',
    date: '2026-03-02',
  },
] as const;

async function writeOldShapeRows(db: SqlQueryable): Promise<void> {
  for (const d of DOCUMENTS) {
    await db.query(
      `INSERT INTO sales (id, receipt_no, kind, original_sale_id, branch_code, terminal, currency, subtotal_minor,
         discount_minor, tax_minor, total_minor, change_minor, occurred_at, business_date, flags)
       VALUES ($1, $2, $3, $4, $5, 'T1', 'EUR', 1200, 0, 200, 1200, 0, $6, $7, '[]')`,
      [d.id, d.receipt, d.kind, d.original, d.branch, `${d.date}T10:00:00.000Z`, d.date],
    );
  }
  const lines = [
    ['sale-1', 1, 'p-1', 'Coffee', 1000, 800, 800, 0, 2000, true, 133, 800, null],
    ['sale-1', 2, null, 'Bag', 2000, 200, 400, 0, 2000, false, 80, 480, null],
    ['refund-1', 1, 'p-1', 'Coffee', 1000, 800, 800, 0, 2000, true, 133, 800, 1],
  ];
  for (const l of lines) {
    await db.query(
      `INSERT INTO sale_lines (sale_id, line_no, product_id, name, qty_milli, unit_price_minor, amount_minor,
         discount_minor, tax_rate_bp, tax_inclusive, tax_minor, total_minor, original_line_no, flags)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '[]')`,
      l,
    );
  }
  const payments = [
    ['sale-1', 1, 'card', 1000, 1000, 0, 'AUTH1'],
    ['sale-1', 2, 'cash', 280, 500, 220, null],
    ['refund-1', 1, 'cash', 800, 800, 0, null],
  ];
  for (const p of payments) {
    await db.query(
      `INSERT INTO payments (sale_id, payment_no, method, amount_minor, tendered_minor, change_minor, reference)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      p,
    );
  }
}

const LINES = 'SELECT * FROM sale_lines ORDER BY sale_id, line_no';
const PAYMENTS = 'SELECT * FROM payments ORDER BY sale_id, payment_no';
const COPIED = ['business_date', 'kind', 'branch_code'];
const withoutCopies = (rows: Record<string, unknown>[]) =>
  rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !COPIED.includes(k))));

/** Migrates to 0005, writes rows, migrates 0006, and checks what became of them. */
async function checkBackfill(target: MigrationTarget, db: SqlQueryable, set: MigrationSet): Promise<void> {
  await migrate(target, before(set));
  await writeOldShapeRows(db);
  const lines = await db.query<Record<string, unknown>>(LINES);
  const payments = await db.query<Record<string, unknown>>(PAYMENTS);

  const result = await migrate(target, set);
  expect(result.applied).toContain(VERSION);

  const copies = (sql: string) =>
    db.query<{ sale_id: string; business_date: string; kind: string; branch_code: string }>(sql);
  const expected = (saleId: string) => {
    const d = DOCUMENTS.find((x) => x.id === saleId)!;
    return { sale_id: saleId, business_date: d.date, kind: d.kind, branch_code: d.branch };
  };
  const lineCopies = await copies(
    'SELECT sale_id, business_date, kind, branch_code FROM sale_lines ORDER BY sale_id, line_no',
  );
  expect(lineCopies).toEqual(['refund-1', 'sale-1', 'sale-1'].map(expected));
  const paymentCopies = await copies(
    'SELECT sale_id, business_date, kind, branch_code FROM payments ORDER BY sale_id, payment_no',
  );
  expect(paymentCopies).toEqual(['refund-1', 'sale-1', 'sale-1'].map(expected));
  // Every other value as it was.
  expect(withoutCopies(await db.query(LINES))).toEqual(lines);
  expect(withoutCopies(await db.query(PAYMENTS))).toEqual(payments);

  // From now on a writer must fill them, and a line still needs its sale.
  await expect(
    db.query(
      `INSERT INTO payments (sale_id, payment_no, method, amount_minor, tendered_minor, change_minor, reference)
       VALUES ('sale-1', 3, 'cash', 1, 1, 0, NULL)`,
    ),
  ).rejects.toThrow(/null/i);
  await expect(
    db.query(
      `INSERT INTO payments (sale_id, payment_no, method, amount_minor, tendered_minor, change_minor, reference,
         business_date, kind, branch_code)
       VALUES ('sale-1', 3, 'cash', 1, 1, 0, NULL, '2026-03-01', 'return', 'MAIN')`,
    ),
  ).rejects.toThrow(/check/i);
  await expect(
    db.query(
      `INSERT INTO sale_lines (sale_id, line_no, product_id, name, qty_milli, unit_price_minor, amount_minor,
         discount_minor, tax_rate_bp, tax_inclusive, tax_minor, total_minor, original_line_no, flags,
         business_date, kind, branch_code)
       VALUES ('no-such-sale', 1, NULL, 'X', 1000, 1, 1, 0, 0, $1, 0, 1, NULL, '[]', '2026-03-01', 'sale', 'MAIN')`,
      [false],
    ),
  ).rejects.toThrow(/foreign key/i);
}

describe('tenant migration 0006: lines and payments get their sale’s date, kind and branch', () => {
  it('on SQLite (the edge), rebuilding both tables', () =>
    onNewEdgeDatabase(async (target, db, set, sqlite) => {
      sqlite.pragma('foreign_keys = ON'); // as the edge opens it
      await checkBackfill(target, db, set);
      expect(sqlite.pragma('foreign_key_check')).toEqual([]);
      expect(sqlite.pragma('integrity_check', { simple: true })).toBe('ok');
    }));

  describe.each(engineNames)('on %s', (engine) => {
    let p: TestPlatform;
    beforeAll(async () => {
      p = await createTestPlatform(engine);
    });
    afterAll(async () => {
      await p?.destroy();
    });

    it('backfills, then sets NOT NULL', () => onNewCloudDatabase(p, checkBackfill));
  });
});
