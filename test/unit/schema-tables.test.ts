// The drizzle tables of src/schema/pg.ts and src/schema/sqlite.ts are built from one declaration per
// table (src/schema/tables/). These checks hold the build to what hand-written tables would be: the
// type-level ones are proved by `tsc --noEmit`, the run-time ones by vitest.
import { getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as pg from '../../src/schema/pg.ts';
import * as sqlite from '../../src/schema/sqlite.ts';

type PgTables = typeof pg.tenantTables;
type SqliteTables = typeof sqlite.tenantTables;
type SelectRows<T> = { [K in keyof T]: T[K] extends { $inferSelect: infer R } ? R : never };
type InsertRows<T> = { [K in keyof T]: T[K] extends { $inferInsert: infer R } ? R : never };

describe('tenant tables built from one declaration', () => {
  it('read the same rows in both dialects, and take the same rows but for SQLite rowid keys', () => {
    expectTypeOf<SelectRows<PgTables>>().toEqualTypeOf<SelectRows<SqliteTables>>();
    // An INTEGER PRIMARY KEY is SQLite's rowid, so drizzle gives it a default there and not in Postgres.
    expectTypeOf<Omit<InsertRows<PgTables>, 'change_log'>>().toEqualTypeOf<
      Omit<InsertRows<SqliteTables>, 'change_log'>
    >();
    expectTypeOf<(typeof pg.changeLog.$inferInsert)['cursor']>().toEqualTypeOf<number>();
    expectTypeOf<(typeof sqlite.changeLog.$inferInsert)['cursor']>().toEqualTypeOf<number | undefined>();
  });

  it('keep the precise drizzle column types of each kind', () => {
    expectTypeOf<(typeof pg.sales.$inferSelect)['kind']>().toEqualTypeOf<'sale' | 'refund'>();
    expectTypeOf<(typeof sqlite.payments.$inferSelect)['method']>().toEqualTypeOf<
      'cash' | 'card' | 'voucher' | 'other'
    >();
    expectTypeOf<(typeof pg.devices.$inferInsert)['lastAppliedSeq']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<(typeof sqlite.branches.$inferSelect)['active']>().toEqualTypeOf<boolean>();
    expectTypeOf<(typeof pg.branches.$inferSelect)['createdAt']>().toEqualTypeOf<string>();
    expectTypeOf<(typeof pg.users.$inferSelect)['email']>().toEqualTypeOf<string | null>();
    expectTypeOf(pg.sales.businessDate.columnType).toEqualTypeOf<'PgDateString'>();
    expectTypeOf(pg.sales.totalMinor.columnType).toEqualTypeOf<'PgBigInt53'>();
    expectTypeOf(sqlite.sales.totalMinor.columnType).toEqualTypeOf<'SQLiteInteger'>();
    expectTypeOf<(typeof pg.prices.effectiveFrom)['_']['name']>().toEqualTypeOf<'effective_from'>();
    expectTypeOf<(typeof pg.terminals.branchId)['_']['notNull']>().toEqualTypeOf<true>();
    expectTypeOf<(typeof pg.terminals.lastSaleNo)['_']['notNull']>().toEqualTypeOf<false>();
  });

  it('point every foreign key at a table of its own dialect', () => {
    const pgTables = new Set<unknown>(Object.values(pg.tenantTables));
    const sqliteTables = new Set<unknown>(Object.values(sqlite.tenantTables));
    let keys = 0;
    for (const table of Object.values(pg.tenantTables)) {
      for (const fk of pgTableConfig(table).foreignKeys) {
        expect(pgTables.has(fk.reference().foreignTable)).toBe(true);
        keys++;
      }
    }
    for (const table of Object.values(sqlite.tenantTables)) {
      for (const fk of sqliteTableConfig(table).foreignKeys) {
        expect(sqliteTables.has(fk.reference().foreignTable)).toBe(true);
        keys--;
      }
    }
    expect(keys).toBe(0);
  });

  it('name each table by its SQL name in both dialects', () => {
    for (const [name, table] of Object.entries(pg.tenantTables)) expect(pgTableConfig(table).name).toBe(name);
    for (const [name, table] of Object.entries(sqlite.tenantTables))
      expect(sqliteTableConfig(table).name).toBe(name);
  });
});
