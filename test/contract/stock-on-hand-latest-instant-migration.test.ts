// Tenant migration 0014 on every engine: on hand gains the latest instant it has summed. Rows on hand
// from before start not known (null: the cloud walks that product's ledger and fills it in then);
// afterwards the trigger keeps it for every writer, the release before's too (which never names the
// column): a new product's is its movements' latest, a known one only grows, and one not known stays
// not known whatever comes. On SQLite (the edge) the column exists, nullable and empty.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { createTestPlatform, engineNames, type TestPlatform } from '../helpers/engines.ts';
import { onNewCloudDatabase, onNewEdgeDatabase } from '../helpers/migrations.ts';

const VERSION = 14;

/** Ledger rows as the release before writes them (one statement, so one trigger call): no word of the new column. */
async function move(db: SqlQueryable, ...rows: [id: string, product: string, delta: number, at: string][]) {
  await db.query(
    `INSERT INTO stock_movements (id, branch_code, product_id, delta_qty_milli, reason, occurred_at, branch_seq)
     SELECT id, 'MAIN', product, delta, 'receive', at, nextval('test_seq')
       FROM unnest($1::text[], $2::text[], $3::int8[], $4::timestamptz[]) AS r(id, product, delta, at)`,
    [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3])],
  );
}

async function onHand(db: SqlQueryable): Promise<Record<string, { qty: number; latest: string | null }>> {
  const rows = await db.query<{ product: string; qty: unknown; at: Date | null }>(
    'SELECT product_id AS product, qty_milli AS qty, max_occurred_at AS at FROM stock_on_hand ORDER BY product_id',
  );
  return Object.fromEntries(
    rows.map((r) => [
      r.product,
      { qty: Number(r.qty), latest: r.at === null ? null : new Date(r.at).toISOString() },
    ]),
  );
}

describe('tenant migration 0014: on hand gains the latest instant it has summed', () => {
  it('on SQLite (the edge): a nullable column, left empty', () =>
    onNewEdgeDatabase(async (target, db, set) => {
      expect((await migrate(target, set)).applied).toContain(VERSION);
      await db.query(
        "INSERT INTO stock_on_hand (branch_code, product_id, qty_milli) VALUES ('MAIN', 'p', 1)",
      );
      expect(await db.query('SELECT max_occurred_at AS at FROM stock_on_hand')).toEqual([{ at: null }]);
    }));

  describe.each(engineNames)('on %s', (engine) => {
    let p: TestPlatform;
    beforeAll(async () => {
      p = await createTestPlatform(engine);
    });
    afterAll(async () => {
      await p?.destroy();
    });

    it('leaves products from before not known, and the trigger keeps the instant for every writer after', () =>
      onNewCloudDatabase(p, async (target, db, set) => {
        await migrate(target, {
          component: set.component,
          migrations: set.migrations.filter((m) => m.version < VERSION),
        });
        await db.query('CREATE SEQUENCE test_seq');
        await move(
          db,
          ['m1', 'old', 5000, '2026-05-04T10:00:00.000Z'],
          ['m2', 'old', 1000, '2026-05-04T09:00:00.000Z'],
        );

        expect((await migrate(target, set)).applied).toContain(VERSION);
        expect(await onHand(db)).toEqual({ old: { qty: 6000, latest: null } });

        // A new product's instant is the latest of its first statement's rows, not its last row's.
        await move(
          db,
          ['m3', 'new', 1, '2026-05-04T12:00:00.000Z'],
          ['m4', 'new', 2, '2026-05-04T06:00:00.000Z'],
        );
        // Known: an earlier row leaves it, a later one moves it.
        await move(db, ['m5', 'new', 10, '2026-05-04T11:00:00.000Z']);
        const afterEarlier = (await onHand(db)).new;
        await move(db, ['m6', 'new', 100, '2026-05-04T13:00:00.000Z']);
        // Not known stays not known, whatever comes.
        await move(db, ['m7', 'old', -500, '2026-05-04T23:00:00.000Z']);
        expect({ afterEarlier, ...(await onHand(db)) }).toEqual({
          afterEarlier: { qty: 13, latest: '2026-05-04T12:00:00.000Z' },
          new: { qty: 113, latest: '2026-05-04T13:00:00.000Z' },
          old: { qty: 5500, latest: null },
        });
      }));
  });
});
