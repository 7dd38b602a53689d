// A tenant table declared once, for both dialects: its SQL name, its columns by kind
// (src/schema/type-mapping.ts) with their constraints, and its indexes. src/schema/pg/table.ts and
// src/schema/sqlite/table.ts turn a declaration into that dialect's drizzle table, keeping drizzle's
// precise column types: a column records, in its type, the kind, SQL name, enum values and the
// constraints that change types (not null, default, primary key), in the order they were written.
import type { Column, SQL } from 'drizzle-orm';
import type { ColumnKind } from './type-mapping.ts';

/** The values a text column is limited to (drizzle's `enum` option). */
export type TextEnum = [string, ...string[]];

/** A constraint that changes a column's drizzle type; `unique` and `references` do not. */
export type TypedStep = 'notNull' | 'default' | 'primaryKey';

/** What a column holds in TypeScript, the same in both dialects. */
export type ColumnData<K extends ColumnKind> = K extends 'integer' | 'bigint'
  ? number
  : K extends 'boolean'
    ? boolean
    : string;

/** One step of a column's declaration, replayed on the dialect's drizzle builder in the order written. */
export type ColumnStep =
  | { op: 'notNull' }
  | { op: 'primaryKey' }
  | { op: 'unique' }
  | { op: 'default'; value: unknown }
  | { op: 'references'; target: () => AnyColumnDecl };

/** A column as declared: kind, SQL name, enum values (text only) and the steps written after it. */
export class ColumnDecl<
  K extends ColumnKind = ColumnKind,
  N extends string = string,
  E extends TextEnum | undefined = TextEnum | undefined,
  S extends readonly TypedStep[] = readonly TypedStep[],
> {
  /** The type-changing steps, for the dialects' mapped types only (no runtime value). */
  declare readonly typedSteps: S;

  constructor(
    readonly kind: K,
    readonly name: N,
    readonly enumValues: E,
    readonly steps: readonly ColumnStep[] = [],
  ) {}

  private with(step: ColumnStep): readonly ColumnStep[] {
    return [...this.steps, step];
  }

  notNull(): ColumnDecl<K, N, E, [...S, 'notNull']> {
    return new ColumnDecl(this.kind, this.name, this.enumValues, this.with({ op: 'notNull' }));
  }

  primaryKey(): ColumnDecl<K, N, E, [...S, 'primaryKey']> {
    return new ColumnDecl(this.kind, this.name, this.enumValues, this.with({ op: 'primaryKey' }));
  }

  default(value: ColumnData<K>): ColumnDecl<K, N, E, [...S, 'default']> {
    return new ColumnDecl(this.kind, this.name, this.enumValues, this.with({ op: 'default', value }));
  }

  unique(): ColumnDecl<K, N, E, S> {
    return new ColumnDecl(this.kind, this.name, this.enumValues, this.with({ op: 'unique' }));
  }

  /** A foreign key to a column of another declared table, resolved in the same dialect. */
  references(target: () => AnyColumnDecl): ColumnDecl<K, N, E, S> {
    return new ColumnDecl(this.kind, this.name, this.enumValues, this.with({ op: 'references', target }));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: any column, whatever its steps
export type AnyColumnDecl = ColumnDecl<ColumnKind, string, TextEnum | undefined, any>;

/** The column kinds of src/schema/type-mapping.ts, as declaration helpers. */
export const c = {
  text: <N extends string, const E extends TextEnum | undefined = undefined>(name: N, config?: { enum: E }) =>
    new ColumnDecl<'text', N, E, []>('text', name, config?.enum as E),
  integer: <N extends string>(name: N) =>
    new ColumnDecl<'integer', N, undefined, []>('integer', name, undefined),
  bigint: <N extends string>(name: N) =>
    new ColumnDecl<'bigint', N, undefined, []>('bigint', name, undefined),
  boolean: <N extends string>(name: N) =>
    new ColumnDecl<'boolean', N, undefined, []>('boolean', name, undefined),
  instant: <N extends string>(name: N) =>
    new ColumnDecl<'instant', N, undefined, []>('instant', name, undefined),
  date: <N extends string>(name: N) => new ColumnDecl<'date', N, undefined, []>('date', name, undefined),
};

/** A built column as the index helpers see it: either dialect's. */
export type IndexColumn = Column;

/** Index and primary-key helpers, the same calls in both dialects (drizzle's pg-core and sqlite-core ones). */
export interface IndexKit {
  index(name: string): IndexOn;
  uniqueIndex(name: string): IndexOn;
  primaryKey(config: { columns: [IndexColumn, ...IndexColumn[]] }): TableExtra;
}

export interface IndexOn {
  on(...columns: [IndexColumn, ...IndexColumn[]]): TableExtra & { where(condition: SQL): TableExtra };
}

/** An index or composite key, opaque here: only the dialect that built it reads it. */
export interface TableExtra {
  readonly __tableExtra?: never;
}

export type ColumnDecls = Record<string, AnyColumnDecl>;

/** A table declared once. */
export interface TableDecl<N extends string = string, C extends ColumnDecls = ColumnDecls> {
  readonly name: N;
  readonly columns: C;
  readonly extras?: ((t: { [K in keyof C]: IndexColumn }, k: IndexKit) => TableExtra[]) | undefined;
}

/**
 * Declares a tenant table once: `defineTable('branches', { id: c.text('id').primaryKey(), … },
 * (t, k) => [k.index('branches_code').on(t.code)])`. The extras get the built columns of whichever
 * dialect is building, so a partial index's sql`` condition renders in that dialect.
 */
export function defineTable<const N extends string, C extends ColumnDecls>(
  name: N,
  columns: C,
  extras?: (t: { [K in keyof C]: IndexColumn }, k: IndexKit) => TableExtra[],
): TableDecl<N, C> {
  return { name, columns, extras };
}
