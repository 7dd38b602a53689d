// The stock pull's page (cloud/sync/pull-stock.ts) on every engine: the branch's ledger after the
// cursor, less the pulling device's own rows, which the query leaves out while the cursor still moves
// past them (a page of nothing but its own rows is empty, with `more` and the cursor at its end);
// other devices' rows and HQ's (no device) are sent, in ledger order, and other branches' never.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStockMovements } from '../../cloud/sync/pull-stock.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

describe.each(engineNames)('the stock pull page on %s', (engine) => {
  let p: TestPlatform;
  let db: ClosableSqlDatabase;

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    const orgId = uniqueId('pull');
    await onboardTenant(p.tenants, { orgId, name: 'Pull', currency: 'EUR' });
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    // MAIN's ledger: 1–4 this device's, 5 another device's, 6 HQ's, 7–9 this device's, 10 another's;
    // NORTH's row 1 is another branch's.
    const owners = ['me', 'me', 'me', 'me', 'other', null, 'me', 'me', 'me', 'other'];
    await db.query(
      `INSERT INTO stock_movements (id, branch_code, product_id, delta_qty_milli, reason, occurred_at, device_id, branch_seq)
       SELECT 'm' || n, 'MAIN', 'p1', -1000, 'sale', '2026-06-01T10:00:00Z'::timestamptz + n * interval '1 minute', d, n
         FROM unnest($1::text[]) WITH ORDINALITY AS u(d, n)`,
      [owners],
    );
    await db.query(
      `INSERT INTO stock_movements (id, branch_code, product_id, delta_qty_milli, reason, occurred_at, device_id, branch_seq)
       VALUES ('n1', 'NORTH', 'p1', 5000, 'receive', '2026-06-01T09:00:00Z', NULL, 1)`,
    );
  });
  afterAll(async () => {
    await db?.close();
    await p?.destroy();
  });

  const ids = (page: Awaited<ReturnType<typeof readStockMovements>>) => page.movements.map((m) => m.id);

  it("sends the others' rows in ledger order and moves the cursor past its own", async () => {
    const first = await readStockMovements(db, 'MAIN', 'me', 0, 6);
    expect(ids(first)).toEqual(['m5', 'm6']);
    expect(first).toMatchObject({ cursor: 6, more: true });
    expect(first.movements[0]).toEqual({
      id: 'm5',
      productId: 'p1',
      deltaQtyMilli: -1000,
      reason: 'sale',
      occurredAt: '2026-06-01T10:05:00.000Z',
      countedQtyMilli: null,
      sourceId: null,
    });
    const second = await readStockMovements(db, 'MAIN', 'me', first.cursor, 6);
    expect(ids(second)).toEqual(['m10']);
    expect(second).toMatchObject({ cursor: 10, more: false });
    const after = await readStockMovements(db, 'MAIN', 'me', second.cursor, 6);
    expect(after).toEqual({ movements: [], cursor: 10, more: false });
  });

  it('answers a page of nothing but its own rows empty, with more and the cursor at its end', async () => {
    const page = await readStockMovements(db, 'MAIN', 'me', 6, 3);
    expect(page).toEqual({ movements: [], cursor: 9, more: true });
    expect(ids(await readStockMovements(db, 'MAIN', 'me', page.cursor, 3))).toEqual(['m10']);
  });

  it('sends every row to another device, and nothing of another branch', async () => {
    const page = await readStockMovements(db, 'MAIN', 'other', 0, 100);
    expect(ids(page)).toEqual(['m1', 'm2', 'm3', 'm4', 'm6', 'm7', 'm8', 'm9']);
    expect(page).toMatchObject({ cursor: 10, more: false });
    expect(ids(await readStockMovements(db, 'NORTH', 'me', 0, 100))).toEqual(['n1']);
  });
});
