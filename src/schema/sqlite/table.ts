// SQLite (edge) drizzle tables from the declarations of src/schema/tables/: each column kind of
// src/schema/type-mapping.ts as this dialect stores it (instants and dates as ISO text, booleans 0/1,
// 64-bit integers as INTEGER), with the declared steps replayed in order.
import type { BuildColumns } from 'drizzle-orm';
import {
  index,
  integer,
  primaryKey,
  type SQLiteBooleanBuilderInitial,
  type SQLiteColumn,
  type SQLiteColumnBuilderBase,
  type SQLiteIntegerBuilderInitial,
  type SQLiteTableExtraConfigValue,
  type SQLiteTableWithColumns,
  type SQLiteTextBuilderInitial,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';
import type {
  AnyColumnDecl,
  ColumnDecl,
  ColumnDecls,
  IndexKit,
  TableDecl,
  TextEnum,
} from '../define-table.ts';
import { replaySteps, type Steps } from '../replay-steps.ts';
import type { ColumnKind } from '../type-mapping.ts';

type BaseBuilder<K extends ColumnKind, N extends string, E extends TextEnum | undefined> = {
  text: SQLiteTextBuilderInitial<N, E extends TextEnum ? E : [string, ...string[]], number | undefined>;
  integer: SQLiteIntegerBuilderInitial<N>;
  bigint: SQLiteIntegerBuilderInitial<N>;
  boolean: SQLiteBooleanBuilderInitial<N>;
  instant: SQLiteTextBuilderInitial<N, [string, ...string[]], number | undefined>;
  date: SQLiteTextBuilderInitial<N, [string, ...string[]], number | undefined>;
}[K];

/** The drizzle builder a declared column stands for in SQLite. */
export type SqliteBuilderFor<D> =
  D extends ColumnDecl<infer K, infer N, infer E, infer S> ? Steps<BaseBuilder<K, N, E>, S> : never;

type SqliteBuilders<C extends ColumnDecls> = { [K in keyof C]: SqliteBuilderFor<C[K]> };

/** The drizzle table a declaration stands for in SQLite. */
export type SqliteTableFor<N extends string, C extends ColumnDecls> = SQLiteTableWithColumns<{
  name: N;
  schema: undefined;
  columns: BuildColumns<N, SqliteBuilders<C>, 'sqlite'>;
  dialect: 'sqlite';
}>;

const kinds: Record<ColumnKind, (name: string, enumValues: TextEnum | undefined) => SQLiteColumnBuilderBase> =
  {
    text: (name, enumValues) => (enumValues ? text(name, { enum: enumValues }) : text(name)),
    integer: (name) => integer(name),
    bigint: (name) => integer(name),
    boolean: (name) => integer(name, { mode: 'boolean' }),
    instant: (name) => text(name),
    date: (name) => text(name),
  };

const indexKit = { index, uniqueIndex, primaryKey } as unknown as IndexKit;

/** Every built column by its declaration, so that references resolve within this dialect. */
const built = new Map<AnyColumnDecl, SQLiteColumn>();

/** The SQLite drizzle table of a declaration. */
export function sqliteTableOf<N extends string, C extends ColumnDecls>(
  decl: TableDecl<N, C>,
): SqliteTableFor<N, C> {
  const columns = Object.fromEntries(
    Object.entries(decl.columns).map(([key, d]) => [
      key,
      replaySteps(kinds[d.kind](d.name, d.enumValues), d, built, 'SQLite'),
    ]),
  );
  const extras = decl.extras;
  const table = sqliteTable(
    decl.name,
    columns,
    extras ? (t) => extras(t as never, indexKit) as unknown as SQLiteTableExtraConfigValue[] : undefined,
  );
  for (const [key, d] of Object.entries(decl.columns))
    built.set(d, (table as Record<string, SQLiteColumn>)[key]!);
  return table as unknown as SqliteTableFor<N, C>;
}
