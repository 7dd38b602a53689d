// Applies pulled catalog changes to the edge's copy of the tenant tables, together with the new
// cursor, in one SQLite transaction. Rows are upserted whole (they are the cloud's current rows);
// foreign keys are checked at commit, since a page may name a row before the row it points to.
import { eq } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Change } from '../../src/protocol/messages.ts';
import { branches, prices, products, roles, settings, taxRates, users } from '../../src/schema/sqlite.ts';
import type { EdgeDatabase } from '../store/database.ts';
import { pullState } from '../store/tables.ts';

const targets: Record<string, { table: SQLiteTable; key: SQLiteColumn }> = {
  branch: { table: branches, key: branches.id },
  product: { table: products, key: products.id },
  price: { table: prices, key: prices.id },
  tax_rate: { table: taxRates, key: taxRates.id },
  user: { table: users, key: users.id },
  role: { table: roles, key: roles.id },
  setting: { table: settings, key: settings.key },
};

export function readPullCursor(db: BetterSQLite3Database): number {
  return db.select().from(pullState).where(eq(pullState.id, 1)).get()?.cursor ?? 0;
}

/**
 * Applies `changes` (in cursor order) and moves the cursor to `cursor`. Entities this build does not
 * know are skipped: a newer cloud may send more than an older edge keeps. Returns how many were applied.
 */
export function applyChanges(
  { sqlite, db }: EdgeDatabase,
  changes: readonly Change[],
  cursor: number,
  at: string,
): number {
  return sqlite
    .transaction(() => {
      sqlite.pragma('defer_foreign_keys = ON');
      let applied = 0;
      for (const change of changes) {
        const target = targets[change.entity];
        if (!target) continue;
        if (change.op === 'delete' || change.row === null) {
          db.delete(target.table).where(eq(target.key, change.entityId)).run();
        } else {
          db.insert(target.table)
            .values(change.row as never)
            .onConflictDoUpdate({ target: target.key, set: change.row as never })
            .run();
        }
        applied++;
      }
      db.insert(pullState)
        .values({ id: 1, cursor, pulledAt: at })
        .onConflictDoUpdate({ target: pullState.id, set: { cursor, pulledAt: at } })
        .run();
      return applied;
    })
    .immediate();
}
