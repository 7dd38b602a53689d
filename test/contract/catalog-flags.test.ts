// Accept and flag, on every engine: real edge stores pull the cloud's catalog, go offline, and sell
// while HQ changes prices, deactivates products and the like through its catalog services; the cloud
// stores every sale, flagged where its catalog as it stood at the sale's instant, for the sale's
// branch, disagrees with what the till charged, and the flags report counts them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct, setPrice, updateProduct } from '../../cloud/catalog/products.ts';
import { createBranch } from '../../cloud/catalog/reference-data.ts';
import { createUser } from '../../cloud/catalog/users.ts';
import { registerDevice } from '../../cloud/devices/devices.ts';
import { runReport } from '../../cloud/reports/reports.ts';
import { applyBatch } from '../../cloud/sync/apply-batch.ts';
import { instantMicros } from '../../cloud/sync/catalog-flags.ts';
import { readChanges } from '../../cloud/sync/pull.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { applyChanges } from '../../edge/sync/apply-changes.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import type { SaleInput } from '../../src/domain/payloads.ts';
import { createTestEdge, outboxMutations, type TestEdge } from '../helpers/edge.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

/** HQ's first catalog, the edges' pull, HQ's changes while the tills are offline, the sales, later changes. */
const T0 = '2026-06-01T08:00:00.000Z';
const T1 = '2026-06-01T09:00:00.000Z';
const SOLD = '2026-06-01T10:00:00.000Z';
const T3 = '2026-06-01T11:00:00.000Z';
const DAY = '2026-06-01';

interface Till {
  branch: string;
  deviceId: string;
  edge: TestEdge;
}

describe.each(engineNames)('accept and flag on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;
  let clock = new Date(T0);
  const at = (iso: string) => ({ db, actor: 'hq@test', now: () => new Date(iso) });
  const products: Record<string, string> = {};
  let main: Till;
  let br2: Till;
  /** What the cloud stored of each sale, by receipt number: the document's flags and each line's. */
  const stored = new Map<string, { flags: string[]; lines: string[][] }>();

  const till = async (orgId: string, branch: string): Promise<Till> => {
    const { deviceId } = await registerDevice({ db, orgId, actor: 'test' }, { branch, name: branch });
    const edge = await createTestEdge({
      identity: { branch, currency: 'EUR', timeZone: 'UTC' },
      now: () => clock,
    });
    // The catalog as HQ had it at T0, pulled as the sync client does (through JSON, as on the wire).
    const page = await readChanges(db, 0, 1000);
    applyChanges(edge.store.database, JSON.parse(JSON.stringify(page.changes)), page.cursor, T0);
    return { branch, deviceId, edge };
  };
  const sell = (t: Till, input: Omit<SaleInput, 'terminal' | 'payments'>) => {
    const sale = t.edge.store.sales.recordSale({
      terminal: 'T1',
      payments: [{ method: 'cash', amountMinor: 100_000 }],
      ...input,
    } as SaleInput);
    if (!sale.ok) throw new Error(JSON.stringify(sale.error));
    return sale.value.value;
  };
  const push = async (t: Till) => {
    const outcome = await applyBatch(db, {
      deviceId: t.deviceId,
      scope: { branchCode: t.branch, currency: 'EUR' },
      mutations: outboxMutations(t.edge.store),
    });
    if (!outcome.ok) throw new Error(outcome.message);
    return outcome.results.map((r) => r.status);
  };

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    const orgId = uniqueId('flags');
    await onboardTenant(p.tenants, { orgId, name: 'Flags', currency: 'EUR', timezone: 'UTC' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    await createBranch(at(T0), { code: 'BR2', name: 'Second', timeZone: 'UTC' });
    for (const [sku, priceMinor] of [
      ['TEA', 300],
      ['CAKE', 450],
      ['MUG', 1299],
      ['BUN', 200],
      ['JAM', 500],
      ['OAT', 250],
    ] as const)
      products[sku] = (await createProduct(at(T0), { sku, name: sku, priceMinor })).id;
    await createUser(at(T0), { role: 'cashier', name: 'Ann', email: 'ann@shop.test', pin: '2468' });
    main = await till(orgId, 'MAIN');
    br2 = await till(orgId, 'BR2');
    // A cashier the MAIN till knows but the cloud never had (a till's own users table, written by hand).
    main.edge.store.database.sqlite
      .prepare(
        `INSERT INTO users (id, email, name, role_id, password_hash, pin_hash, active, created_at, updated_at)
         VALUES ('ghost-user', 'ghost@shop.test', 'Ghost', 'cashier', NULL, NULL, 1, ?, ?)`,
      )
      .run(T0, T0);

    // While the tills are offline, HQ changes the catalog.
    await setPrice(at(T1), { productId: products.TEA!, priceMinor: 350 });
    await setPrice(at(T1), { productId: products.CAKE!, branchCode: 'MAIN', priceMinor: 500 });
    await updateProduct(at(T1), products.MUG!, { active: false });
    await updateProduct(at(T1), products.BUN!, { active: false });
    // A price that starts only after the sales, and the user the cloud learns of after them.
    await setPrice(at(T1), { productId: products.OAT!, priceMinor: 999, effectiveFrom: T3 });

    clock = new Date(SOLD);
    const lines = (...skus: string[]) => skus.map((sku) => ({ sku, qtyMilli: 1000 }));
    sell(main, { cashier: 'ann@shop.test', lines: lines('TEA', 'CAKE', 'JAM', 'OAT') });
    sell(main, { lines: lines('MUG', 'BUN') });
    sell(main, {
      cashier: 'ghost@shop.test',
      lines: [{ sku: 'TEA', qtyMilli: 1000, unitPriceMinor: 280 }, ...lines('JAM')],
    });
    sell(main, {
      cashier: 'stranger@shop.test',
      lines: [{ name: 'Gift wrap', unitPriceMinor: 150, qtyMilli: 1000, taxRateBp: 0 }],
    });
    sell(br2, { cashier: 'ANN@shop.test', lines: lines('CAKE', 'TEA') });
    // After the sales, before the push: BUN renamed (its last change is now after the sale), and a
    // price for JAM written now but backdated to before the sales (no till could have known it).
    await updateProduct(at(T3), products.BUN!, { name: 'Bun (new recipe)' });
    await setPrice(at(T3), { productId: products.JAM!, priceMinor: 520, effectiveFrom: T1 });

    expect(await push(main)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(await push(br2)).toEqual(['applied']);
    const rows = await db.query<{ receipt_no: string; flags: string; line_flags: string[] }>(
      `SELECT s.receipt_no, s.flags, array_agg(l.flags ORDER BY l.line_no) AS line_flags
         FROM sales s JOIN sale_lines l ON l.sale_id = s.id GROUP BY s.receipt_no, s.flags`,
    );
    for (const r of rows)
      stored.set(r.receipt_no, {
        flags: JSON.parse(r.flags),
        lines: r.line_flags.map((f) => JSON.parse(f)),
      });
  }, 120_000);

  afterAll(async () => {
    main?.edge.destroy();
    br2?.edge.destroy();
    await db?.close();
    await p?.destroy();
  });

  it('flags price_changed where the price in force for the branch at the sale differs, and only there', () => {
    // TEA's default and CAKE's MAIN price changed; JAM's backdated price was written after the sale,
    // and OAT's new price starts after it: neither was in force as the catalog stood then.
    expect(stored.get('MAIN-T1-000001')).toEqual({
      flags: ['price_changed', 'stock_below_zero'],
      lines: [
        ['price_changed', 'stock_below_zero'],
        ['price_changed', 'stock_below_zero'],
        ['stock_below_zero'],
        ['stock_below_zero'],
      ],
    });
    // At BR2 CAKE keeps its default price: only TEA's changed there.
    expect(stored.get('BR2-T1-000001')).toEqual({
      flags: ['price_changed', 'stock_below_zero'],
      lines: [['stock_below_zero'], ['price_changed', 'stock_below_zero']],
    });
  });

  it('flags inactive_product when the product was deactivated before the sale and has not changed since', () => {
    // MUG was deactivated at T1; BUN too, but it was renamed after the sale, and the cloud keeps no
    // history of `active`: it cannot tell, so it does not flag.
    expect(stored.get('MAIN-T1-000002')).toEqual({
      flags: ['inactive_product', 'stock_below_zero'],
      lines: [['inactive_product', 'stock_below_zero'], ['stock_below_zero']],
    });
  });

  it('leaves a typed price with its own flag and an open-price line alone', () => {
    expect(stored.get('MAIN-T1-000003')?.lines[0]).toEqual(['price_override', 'stock_below_zero']);
    expect(stored.get('MAIN-T1-000004')?.lines).toEqual([['open_price']]);
  });

  it('flags unknown_cashier when the sale names no user of the tenant, by id or by email', () => {
    // Ann is known by email (in any case); the ghost's user id is the till's alone; the stranger the
    // till already flagged, and the flag stays.
    expect(stored.get('MAIN-T1-000001')?.flags).not.toContain('unknown_cashier');
    expect(stored.get('BR2-T1-000001')?.flags).not.toContain('unknown_cashier');
    expect(stored.get('MAIN-T1-000003')?.flags).toEqual([
      'price_override',
      'unknown_cashier',
      'stock_below_zero',
    ]);
    expect(stored.get('MAIN-T1-000004')?.flags).toEqual(['open_price', 'unknown_cashier']);
  });

  it('stores every sale with its figures as the till answered them: flagged, never refused', async () => {
    const [q] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sync_quarantine');
    expect(q!.n).toBe(0);
    const [tea] = await db.query<{ price: number }>(
      `SELECT l.unit_price_minor AS price FROM sale_lines l JOIN sales s ON s.id = l.sale_id
        WHERE s.receipt_no = 'MAIN-T1-000001' AND l.line_no = 1`,
    );
    expect(tea!.price).toBe(300);
  });

  it('does not flag a refund against the catalog: its lines are its original sale', async () => {
    const original = sell(main, { lines: [{ sku: 'TEA', qtyMilli: 1000 }] });
    const refund = main.edge.store.sales.recordRefund(original.id, {
      terminal: 'T1',
      reason: 'test',
      lines: [{ lineNo: 1, qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: original.totalMinor }],
    });
    if (!refund.ok) throw new Error(JSON.stringify(refund.error));
    expect(await push(main)).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'applied',
      'applied',
    ]);
    const rows = await db.query<{ kind: string; flags: string }>(
      'SELECT kind, flags FROM sales WHERE id = ANY($1::text[]) ORDER BY kind DESC',
      [[original.id, refund.value.value.id]],
    );
    expect(rows.map((r) => [r.kind, JSON.parse(r.flags)])).toEqual([
      ['sale', ['price_changed', 'stock_below_zero']],
      ['refund', []],
    ]);
  });

  it('counts flagged documents per flag, branch and business date in the flags report', async () => {
    const result = await runReport(db, 'flags', { from: DAY, to: DAY }, new Date(T3));
    expect(result.body.rows).toEqual([
      { businessDate: DAY, branch: 'BR2', flag: 'price_changed', count: 1 },
      { businessDate: DAY, branch: 'BR2', flag: 'stock_below_zero', count: 1 },
      { businessDate: DAY, branch: 'MAIN', flag: 'inactive_product', count: 1 },
      { businessDate: DAY, branch: 'MAIN', flag: 'open_price', count: 1 },
      { businessDate: DAY, branch: 'MAIN', flag: 'price_changed', count: 2 },
      { businessDate: DAY, branch: 'MAIN', flag: 'price_override', count: 1 },
      { businessDate: DAY, branch: 'MAIN', flag: 'stock_below_zero', count: 4 },
      { businessDate: DAY, branch: 'MAIN', flag: 'unknown_cashier', count: 2 },
    ]);
    expect(result.body.totals).toContainEqual({ flag: 'price_changed', count: 3 });
    expect(result.body.flaggedDocuments).toBe(6);
    expect(result.freshness).toMatchObject({ devices: 2 });
    const br2Only = await runReport(db, 'flags', { from: DAY, to: DAY, branch: 'BR2' }, new Date(T3));
    expect(br2Only.body.flaggedDocuments).toBe(1);
  });

  it('reads instants to the microsecond, whatever their offset', () => {
    expect(instantMicros('2026-06-01T10:00:00.123456Z')).toBe(
      Date.parse('2026-06-01T10:00:00.123Z') * 1000 + 456,
    );
    expect(instantMicros('2026-06-01T12:00:00+02:00')).toBe(Date.parse(SOLD) * 1000);
  });
});
