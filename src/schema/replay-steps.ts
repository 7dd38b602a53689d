// How a declared column (src/schema/define-table.ts) becomes a dialect's drizzle builder: at run time
// its steps are replayed on the builder in the order written; at type level each type-changing step
// is what drizzle's method of that name returns, so both dialects keep drizzle's own rules (an
// INTEGER primary key in SQLite has a default, a Postgres one does not).
import type { ColumnBuilderBase, HasDefault, NotNull } from 'drizzle-orm';
import type { AnyColumnDecl, TypedStep } from './define-table.ts';

/**
 * What `B.notNull()`, `B.default(…)` or `B.primaryKey()` returns. drizzle's own `NotNull` and
 * `HasDefault` are named directly: matching those methods structurally costs the type checker about a
 * third more types for the same result. `primaryKey()` depends on the builder, so it is read off it.
 */
type Step<B, S extends TypedStep> = B extends ColumnBuilderBase
  ? S extends 'notNull'
    ? NotNull<B>
    : S extends 'default'
      ? HasDefault<B>
      : B extends { primaryKey(): infer R }
        ? R
        : never
  : never;

/** The builder type `B` becomes after the steps `S`. */
export type Steps<B, S extends readonly TypedStep[]> = S extends readonly [
  infer H extends TypedStep,
  ...infer T extends readonly TypedStep[],
]
  ? Steps<Step<B, H>, T>
  : B;

/** A drizzle column builder seen only through the calls a declaration replays on it. */
interface Replayable {
  notNull(): Replayable;
  primaryKey(): Replayable;
  unique(): Replayable;
  default(value: unknown): Replayable;
  references(target: () => never): Replayable;
}

/**
 * Replays the steps of `decl` on `builder`. A reference resolves, when drizzle asks for it, to the
 * column built for the target declaration in the same dialect (`built`).
 */
export function replaySteps<B>(
  builder: B,
  decl: AnyColumnDecl,
  built: ReadonlyMap<AnyColumnDecl, unknown>,
  dialect: string,
): B {
  let b = builder as unknown as Replayable;
  for (const step of decl.steps) {
    if (step.op === 'default') b = b.default(step.value);
    else if (step.op === 'references') {
      const target = step.target;
      b = b.references(() => {
        const column = built.get(target());
        if (!column) throw new Error(`${decl.name} references a column of a table not built for ${dialect}`);
        return column as never;
      });
    } else b = b[step.op]();
  }
  return b as unknown as B;
}
