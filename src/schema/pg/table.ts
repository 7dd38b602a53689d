// Postgres/PGlite drizzle tables from the declarations of src/schema/tables/: each column kind of
// src/schema/type-mapping.ts as this dialect types it (instants and dates read as ISO strings,
// 64-bit integers as safe-integer numbers), with the declared steps replayed in order.
import type { BuildColumns } from 'drizzle-orm';
import {
  bigint,
  boolean,
  date,
  index,
  integer,
  type PgBigInt53BuilderInitial,
  type PgBooleanBuilderInitial,
  type PgColumn,
  type PgColumnBuilderBase,
  type PgDateStringBuilderInitial,
  type PgIntegerBuilderInitial,
  type PgTableExtraConfigValue,
  type PgTableWithColumns,
  type PgTextBuilderInitial,
  type PgTimestampStringBuilderInitial,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
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
  text: PgTextBuilderInitial<N, E extends TextEnum ? E : [string, ...string[]]>;
  integer: PgIntegerBuilderInitial<N>;
  bigint: PgBigInt53BuilderInitial<N>;
  boolean: PgBooleanBuilderInitial<N>;
  instant: PgTimestampStringBuilderInitial<N>;
  date: PgDateStringBuilderInitial<N>;
}[K];

/** The drizzle builder a declared column stands for in Postgres. */
export type PgBuilderFor<D> =
  D extends ColumnDecl<infer K, infer N, infer E, infer S> ? Steps<BaseBuilder<K, N, E>, S> : never;

type PgBuilders<C extends ColumnDecls> = { [K in keyof C]: PgBuilderFor<C[K]> };

/** The drizzle table a declaration stands for in Postgres. */
export type PgTableFor<N extends string, C extends ColumnDecls> = PgTableWithColumns<{
  name: N;
  schema: undefined;
  columns: BuildColumns<N, PgBuilders<C>, 'pg'>;
  dialect: 'pg';
}>;

const kinds: Record<ColumnKind, (name: string, enumValues: TextEnum | undefined) => PgColumnBuilderBase> = {
  text: (name, enumValues) => (enumValues ? text(name, { enum: enumValues }) : text(name)),
  integer: (name) => integer(name),
  bigint: (name) => bigint(name, { mode: 'number' }),
  boolean: (name) => boolean(name),
  instant: (name) => timestamp(name, { withTimezone: true, mode: 'string' }),
  date: (name) => date(name, { mode: 'string' }),
};

const indexKit = { index, uniqueIndex, primaryKey } as unknown as IndexKit;

/** Every built column by its declaration, so that references resolve within this dialect. */
const built = new Map<AnyColumnDecl, PgColumn>();

/** The Postgres drizzle table of a declaration. */
export function pgTableOf<N extends string, C extends ColumnDecls>(decl: TableDecl<N, C>): PgTableFor<N, C> {
  const columns = Object.fromEntries(
    Object.entries(decl.columns).map(([key, d]) => [
      key,
      replaySteps(kinds[d.kind](d.name, d.enumValues), d, built, 'Postgres'),
    ]),
  );
  const extras = decl.extras;
  const table = pgTable(
    decl.name,
    columns,
    extras ? (t) => extras(t as never, indexKit) as unknown as PgTableExtraConfigValue[] : undefined,
  );
  for (const [key, d] of Object.entries(decl.columns))
    built.set(d, (table as Record<string, PgColumn>)[key]!);
  return table as unknown as PgTableFor<N, C>;
}
