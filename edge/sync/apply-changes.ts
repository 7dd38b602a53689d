// Applies pulled catalog changes to the edge's copy of the tenant tables, together with the new
// cursor, in one SQLite transaction. Each row is parsed with its entity's schema (src/protocol/
// catalog-rows.ts, the one the cloud's pull is typed by) and upserted whole (it is the cloud's current
// row); foreign keys are checked at commit, since a page may name a row before the row it points to.
import { eq } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import {
  type CatalogEntity,
  type CatalogRow,
  catalogRowSchemas,
  isCatalogEntity,
} from '../../src/protocol/catalog-rows.ts';
import type { Change } from '../../src/protocol/messages.ts';
import { branches, prices, products, roles, settings, taxRates, users } from '../../src/schema/sqlite.ts';
import type { EdgeDatabase } from '../store/database.ts';
import { pullState } from '../store/tables.ts';

type Db = BetterSQLite3Database;

interface Target<E extends CatalogEntity> {
  table: SQLiteTable;
  key: SQLiteColumn;
  upsert(db: Db, row: CatalogRow<E>): void;
}

const targets: { [E in CatalogEntity]: Target<E> } = {
  branch: {
    table: branches,
    key: branches.id,
    upsert: (db, row) =>
      db.insert(branches).values(row).onConflictDoUpdate({ target: branches.id, set: row }).run(),
  },
  product: {
    table: products,
    key: products.id,
    upsert: (db, row) =>
      db.insert(products).values(row).onConflictDoUpdate({ target: products.id, set: row }).run(),
  },
  price: {
    table: prices,
    key: prices.id,
    upsert: (db, row) =>
      db.insert(prices).values(row).onConflictDoUpdate({ target: prices.id, set: row }).run(),
  },
  tax_rate: {
    table: taxRates,
    key: taxRates.id,
    upsert: (db, row) =>
      db.insert(taxRates).values(row).onConflictDoUpdate({ target: taxRates.id, set: row }).run(),
  },
  user: {
    table: users,
    key: users.id,
    upsert: (db, row) =>
      db.insert(users).values(row).onConflictDoUpdate({ target: users.id, set: row }).run(),
  },
  role: {
    table: roles,
    key: roles.id,
    upsert: (db, row) =>
      db.insert(roles).values(row).onConflictDoUpdate({ target: roles.id, set: row }).run(),
  },
  setting: {
    table: settings,
    key: settings.key,
    upsert: (db, row) =>
      db.insert(settings).values(row).onConflictDoUpdate({ target: settings.key, set: row }).run(),
  },
};

/** Parses one pulled row with its entity's schema and upserts it; a row that fails the schema throws. */
function upsertRow<E extends CatalogEntity>(db: Db, entity: E, entityId: string, raw: unknown): void {
  const parsed = catalogRowSchemas[entity].safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `pulled ${entity} ${entityId} does not fit its schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  targets[entity].upsert(db, parsed.data as CatalogRow<E>);
}

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
        if (!isCatalogEntity(change.entity)) continue;
        const target = targets[change.entity];
        if (change.op === 'delete' || change.row === null) {
          db.delete(target.table).where(eq(target.key, change.entityId)).run();
        } else upsertRow(db, change.entity, change.entityId, change.row);
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
