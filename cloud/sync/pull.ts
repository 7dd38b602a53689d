// Catalog changes for an edge: change-log entries after a cursor, each with the row as it is now
// (null once deleted), paged. Entries commit in cursor order (writers hold the change-log lock), so
// "after cursor N" never skips a change. Users come down without password hashes; PIN hashes are
// what a till checks cashiers against.
import { asc, getTableColumns, gt, inArray } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { type CatalogEntity, type CatalogRow, isCatalogEntity } from '../../src/protocol/catalog-rows.ts';
import type { Change } from '../../src/protocol/messages.ts';
import {
  branches,
  changeLog,
  prices,
  products,
  roles,
  settings,
  taxRates,
  users,
} from '../../src/schema/pg.ts';

const { passwordHash: _never, ...userColumns } = getTableColumns(users);

/**
 * Where each entity's rows live, the key the change log names them by, and the columns that go down:
 * exactly the fields of its row schema (src/protocol/catalog-rows.ts), which the edge parses them with.
 */
const sources: {
  [E in CatalogEntity]: { table: PgTable; key: PgColumn; columns: Record<keyof CatalogRow<E>, PgColumn> };
} = {
  branch: { table: branches, key: branches.id, columns: getTableColumns(branches) },
  product: { table: products, key: products.id, columns: getTableColumns(products) },
  price: { table: prices, key: prices.id, columns: getTableColumns(prices) },
  tax_rate: { table: taxRates, key: taxRates.id, columns: getTableColumns(taxRates) },
  user: { table: users, key: users.id, columns: userColumns },
  role: { table: roles, key: roles.id, columns: getTableColumns(roles) },
  setting: { table: settings, key: settings.key, columns: getTableColumns(settings) },
};

/** The columns each entity's rows go down with (a test holds them to the row schemas). */
export const pulledColumns = (entity: CatalogEntity): string[] => Object.keys(sources[entity].columns);

export interface ChangePage {
  changes: Change[];
  /** The cursor to pull from next: the last change's, or the one asked for when nothing is newer. */
  cursor: number;
  more: boolean;
}

export async function readChanges(db: SqlQueryable, after: number, limit: number): Promise<ChangePage> {
  const d = pgDrizzle(db);
  const entries = await d
    .select()
    .from(changeLog)
    .where(gt(changeLog.cursor, after))
    .orderBy(asc(changeLog.cursor))
    .limit(limit);
  const rowsByEntity = new Map<string, Map<string, Record<string, unknown>>>();
  for (const entity of new Set(entries.map((e) => e.entity))) {
    if (!isCatalogEntity(entity)) continue;
    const { table, key, columns } = sources[entity];
    const ids = [...new Set(entries.filter((e) => e.entity === entity).map((e) => e.entityId))];
    const rows = (await d.select(columns).from(table).where(inArray(key, ids))) as Record<string, unknown>[];
    const keyName = Object.entries(columns).find(([, c]) => c === key)![0];
    rowsByEntity.set(entity, new Map(rows.map((r) => [String(r[keyName]), r])));
  }
  const changes: Change[] = entries.map((e) => {
    const row = rowsByEntity.get(e.entity)?.get(e.entityId) ?? null;
    return {
      cursor: Number(e.cursor),
      entity: e.entity,
      entityId: e.entityId,
      op: row === null ? 'delete' : e.op,
      row: e.op === 'delete' ? null : row,
    };
  });
  return {
    changes,
    cursor: changes.at(-1)?.cursor ?? after,
    more: entries.length === limit,
  };
}

/** The tenant's latest cursor (0 before any change). */
export async function latestCursor(db: SqlQueryable): Promise<number> {
  const [row] = await db.query<{ c: number | null }>('SELECT max(cursor) AS c FROM change_log');
  return Number(row?.c ?? 0);
}
