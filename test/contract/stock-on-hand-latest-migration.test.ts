// Tenant migration 0014 on every engine: on hand gains how far it has summed (the latest occurred_at
// and the highest branch_seq of its branch and product's movements). The migration fills both in
// from the ledger as it stands; afterwards the trigger keeps them, for a writer of the release before
// too (which names neither column); they only grow; and one that is null (not known) stays null, so
// the cloud walks that product's ledger rather than trusting it. On SQLite (the edge) the columns
// exist, nullable and empty.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { loadMigrationSet, MIGRATIONS_DIR } from '../../src/migrate/files.ts';
import { migrate } from '../../src/migrate/runner.ts';
import {
  postgresMigrationTarget,
  sqliteMigrationTarget,
  sqliteQueryable,
} from '../../src/migrate/targets.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

const VERSION = 14;

/** A ledger row as the release before writes it: no word of on hand's new columns. */
const move = `INSERT INTO stock_movements (id, branch_code, product_id, delta_qty_milli, reason, occurred_at, branch_seq)
  VALUES ($1, 'MAIN', $2, $3, 'receive', $4, $5)`;

interface Hand {
  product: string;
  qty: number;
  at: string | null;
  seq: number | null;
}

async function onHand(db: SqlQueryable): Promise<Hand[]> {
  const rows = await db.query<{ product: string; qty: unknown; at: Date | null; seq: unknown }>(
    `SELECT product_id AS product, qty_milli AS qty, max_occurred_at AS at, max_branch_seq AS seq
       FROM stock_on_hand ORDER BY product_id`,
  );
  return rows.map((r) => ({
    product: r.product,
    qty: Number(r.qty),
    at: r.at === null ? null : new Date(r.at).toISOString(),
    seq: r.seq === null ? null : Number(r.seq),
  }));
}

describe('tenant migration 0014: on hand gains how far it has summed', () => {
  it('on SQLite (the edge): two nullable columns, left empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modernpos-0014-'));
    const sqlite = new Database(join(dir, 'edge.db'));
    try {
      const set = loadMigrationSet('tenant', join(MIGRATIONS_DIR, 'tenant'), 'sqlite');
      expect((await migrate(sqliteMigrationTarget(sqlite), set)).applied).toContain(VERSION);
      const db = sqliteQueryable(sqlite);
      await db.query(
        "INSERT INTO stock_on_hand (branch_code, product_id, qty_milli) VALUES ('MAIN', 'p', 1)",
      );
      expect(
        await db.query('SELECT max_occurred_at AS at, max_branch_seq AS seq FROM stock_on_hand'),
      ).toEqual([{ at: null, seq: null }]);
    } finally {
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.each(engineNames)('on %s', (engine) => {
    let p: TestPlatform;
    beforeAll(async () => {
      p = await createTestPlatform(engine);
    });
    afterAll(async () => {
      await p?.destroy();
    });

    it('fills them in from the ledger, keeps them through the trigger, and leaves a null one null', async () => {
      const name = `modernpos_test_m0014_${uniqueId()}`;
      await p.engine.createDatabase(name);
      const db = p.engine.openDatabase(name);
      const set = p.tenants.tenantMigrations;
      try {
        const target = postgresMigrationTarget(db);
        await migrate(target, {
          component: set.component,
          migrations: set.migrations.filter((m) => m.version < VERSION),
        });
        // The latest instant and the highest place need not be one row's: a count recorded late.
        await db.query(move, ['m1', 'a', 5000, '2026-05-04T10:00:00.000Z', 1]);
        await db.query(move, ['m2', 'a', 1000, '2026-05-04T09:00:00.000Z', 2]);
        await db.query(move, ['m3', 'b', 3000, '2026-05-04T08:00:00.000Z', 3]);

        expect((await migrate(target, set)).applied).toContain(VERSION);
        expect(await onHand(db)).toEqual([
          { product: 'a', qty: 6000, at: '2026-05-04T10:00:00.000Z', seq: 2 },
          { product: 'b', qty: 3000, at: '2026-05-04T08:00:00.000Z', seq: 3 },
        ]);

        // A writer of the release before: the trigger moves what grows and keeps what does not.
        await db.query(move, ['m4', 'a', -500, '2026-05-04T09:30:00.000Z', 4]);
        await db.query(move, ['m5', 'b', 100, '2026-05-04T11:00:00.000Z', 5]);
        await db.query(move, ['m6', 'c', 700, '2026-05-04T07:00:00.000Z', 6]);
        // One statement of several rows of one product (a pushed batch): its maxima, not its last row's.
        await db.query(
          `INSERT INTO stock_movements (id, branch_code, product_id, delta_qty_milli, reason, occurred_at, branch_seq)
           VALUES ('m7', 'MAIN', 'c', 1, 'receive', '2026-05-04T12:00:00.000Z', 7),
                  ('m8', 'MAIN', 'c', 2, 'receive', '2026-05-04T06:00:00.000Z', 8)`,
        );
        expect(await onHand(db)).toEqual([
          { product: 'a', qty: 5500, at: '2026-05-04T10:00:00.000Z', seq: 4 },
          { product: 'b', qty: 3100, at: '2026-05-04T11:00:00.000Z', seq: 5 },
          { product: 'c', qty: 703, at: '2026-05-04T12:00:00.000Z', seq: 8 },
        ]);

        // Not known stays not known, whatever comes after.
        await db.query(
          "UPDATE stock_on_hand SET max_occurred_at = NULL, max_branch_seq = NULL WHERE product_id = 'a'",
        );
        await db.query(move, ['m9', 'a', 1, '2026-05-04T23:00:00.000Z', 9]);
        expect((await onHand(db))[0]).toEqual({ product: 'a', qty: 5501, at: null, seq: null });
      } finally {
        await db.close();
        await p.engine.dropDatabase(name);
      }
    });
  });
});
