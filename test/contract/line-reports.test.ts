// The reports that read sale lines and payments without `sales` (tenant migration 0006), on every
// cloud engine, over rows written by hand: the period and the branch filter the lines' and payments'
// own copies of their document's date and branch, a refund counts against its product on its own
// date, and a product the catalog lacks is named after its lines of that period and branch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Period } from '../../cloud/reports/params.ts';
import { paymentsReport } from '../../cloud/reports/payments.ts';
import { taxReport } from '../../cloud/reports/tax.ts';
import { topProductsReport } from '../../cloud/reports/top-products.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { postgresMigrationTarget } from '../../src/migrate/targets.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

/** [id, kind, branch, business date]; `early` falls before the period. */
const SALES = [
  ['s1', 'sale', 'MAIN', '2026-03-01'],
  ['s2', 'sale', 'LIS', '2026-03-31'],
  ['early', 'sale', 'MAIN', '2026-02-28'],
  ['r1', 'refund', 'MAIN', '2026-03-02'],
] as const;

/** [sale, line, product, name, qty, total, rate bp]; `gone` is in no catalog. */
const LINES = [
  ['s1', 1, 'known', 'Known, as sold', 2000, 800, 2000],
  ['s1', 2, 'gone', 'Gone B', 3000, 300, 550],
  ['s1', 3, null, 'Open price', 1000, 999, 2000],
  ['s2', 1, 'gone', 'Gone A', 1000, 100, 550],
  ['early', 1, 'gone', 'Gone 0', 9000, 900, 550],
  ['r1', 1, 'known', 'Known, as sold', 1000, 250, 2000],
] as const;

/** [sale, payment, method, amount]. */
const PAYMENTS = [
  ['s1', 1, 'card', 2099],
  ['s2', 1, 'cash', 100],
  ['early', 1, 'cash', 900],
  ['r1', 1, 'card', 250],
] as const;

describe.each(engineNames)('reports over lines and payments alone on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  const name = `modernpos_test_lines_${uniqueId()}`;
  const march = (branch: string | null = null): Period => ({ from: '2026-03-01', to: '2026-03-31', branch });

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    await p.engine.createDatabase(name);
    db = p.engine.openDatabase(name);
    await migrate(postgresMigrationTarget(db), p.tenants.tenantMigrations);
    await db.query(
      `INSERT INTO tax_rates (id, name, rate_bp, inclusive, is_default, created_at, updated_at)
       VALUES ('std', 'Standard', 2000, true, true, now(), now())`,
    );
    await db.query(
      `INSERT INTO products (id, sku, name, tax_rate_id, active, created_at, updated_at)
       VALUES ('known', 'KNOWN-1', 'Known', 'std', true, now(), now())`,
    );
    const dateOf = new Map<string, (typeof SALES)[number]>(SALES.map((s) => [s[0], s]));
    for (const [id, kind, branch, date] of SALES) {
      await db.query(
        `INSERT INTO sales (id, receipt_no, kind, original_sale_id, branch_code, terminal, currency, subtotal_minor,
           discount_minor, tax_minor, total_minor, change_minor, occurred_at, business_date, flags)
         VALUES ($1, $1, $2, $3, $4, 'T1', 'EUR', 0, 0, 0, 0, 0, $5, $6, '[]')`,
        [id, kind, kind === 'refund' ? 's1' : null, branch, `${date}T12:00:00Z`, date],
      );
    }
    for (const [sale, no, product, line, qty, total, rate] of LINES) {
      const [, kind, branch, date] = dateOf.get(sale)!;
      await db.query(
        `INSERT INTO sale_lines (sale_id, line_no, product_id, name, qty_milli, unit_price_minor, amount_minor,
           discount_minor, tax_rate_bp, tax_inclusive, tax_minor, total_minor, original_line_no, flags,
           business_date, kind, branch_code)
         VALUES ($1, $2, $3, $4, $5, 0, $6, 0, $7, true, $8, $6, NULL, '[]', $9, $10, $11)`,
        [
          sale,
          no,
          product,
          line,
          qty,
          total,
          rate,
          Math.round((total * rate) / (10_000 + rate)),
          date,
          kind,
          branch,
        ],
      );
    }
    for (const [sale, no, method, amount] of PAYMENTS) {
      const [, kind, branch, date] = dateOf.get(sale)!;
      await db.query(
        `INSERT INTO payments (sale_id, payment_no, method, amount_minor, tendered_minor, change_minor, reference,
           business_date, kind, branch_code)
         VALUES ($1, $2, $3, $4, $4, 0, NULL, $5, $6, $7)`,
        [sale, no, method, amount, date, kind, branch],
      );
    }
  });
  afterAll(async () => {
    await db?.close();
    await p?.engine.dropDatabase(name);
    await p?.destroy();
  });

  it('top products: the period’s lines net of refunds, catalog names first, else the lines’ own', async () => {
    const all = await topProductsReport(db, march(), 10);
    const gone = {
      productId: 'gone',
      sku: null,
      name: 'Gone A',
      qtyMilli: 4000,
      revenueMinor: 400,
      lines: 2,
    };
    const known = {
      productId: 'known',
      sku: 'KNOWN-1',
      name: 'Known',
      qtyMilli: 1000,
      revenueMinor: 550,
      lines: 1,
    };
    expect(all.byQuantity).toEqual([
      { rank: 1, ...gone },
      { rank: 2, ...known },
    ]);
    expect(all.byRevenue).toEqual([
      { rank: 1, ...known },
      { rank: 2, ...gone },
    ]);

    const main = await topProductsReport(db, march('MAIN'), 1);
    expect(main.byQuantity).toEqual([
      { rank: 1, productId: 'gone', sku: null, name: 'Gone B', qtyMilli: 3000, revenueMinor: 300, lines: 1 },
    ]);
    expect(main.byRevenue).toEqual([{ rank: 1, ...known }]);
  });

  it('payments and tax: the period’s rows by their own date, kind and branch', async () => {
    expect(await paymentsReport(db, march())).toEqual([
      { method: 'card', count: 1, takenMinor: 2099, refundsCount: 1, refundedMinor: 250, netMinor: 1849 },
      { method: 'cash', count: 1, takenMinor: 100, refundsCount: 0, refundedMinor: 0, netMinor: 100 },
    ]);
    expect(await paymentsReport(db, march('LIS'))).toEqual([
      { method: 'cash', count: 1, takenMinor: 100, refundsCount: 0, refundedMinor: 0, netMinor: 100 },
    ]);
    // 20 % inclusive: 800 + 999 sold, 250 refunded (tax 133 + 167 − 42); 5.5 %: 300 + 100 (tax 16 + 5).
    expect(await taxReport(db, march())).toEqual([
      { rateBp: 550, inclusive: true, baseMinor: 379, taxMinor: 21 },
      { rateBp: 2000, inclusive: true, baseMinor: 1291, taxMinor: 258 },
    ]);
  });
});
