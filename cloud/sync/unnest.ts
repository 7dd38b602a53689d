// Set-based inserts: one `INSERT … SELECT * FROM unnest($1::type[], $2::type[], …)` per table and
// batch, with one array parameter per column, instead of a round trip per row. Each column goes as
// the text of its array literal (src/db/array-literal.ts), which both engines read as the array.
import { arrayLiteral } from '../../src/db/array-literal.ts';
import { quoteIdent, type SqlQueryable } from '../../src/db/sql.ts';

/** A column and the Postgres type its array parameter is cast to. */
export type Column<Row> = readonly [name: string, pgType: string, value: (row: Row) => unknown];

/**
 * Inserts `rows` into `table` in one statement. `onConflict` is the clause after the VALUES (for
 * example `ON CONFLICT DO NOTHING`), `returning` an optional column list; returns the returned rows.
 */
export async function unnestInsert<Row, Out = Record<string, unknown>>(
  tx: SqlQueryable,
  table: string,
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  options: { onConflict?: string; returning?: string } = {},
): Promise<Out[]> {
  if (rows.length === 0) return [];
  const { insert, params } = insertOf(table, columns, rows);
  const sql = `${insert} ${options.onConflict ?? ''}${options.returning ? ` RETURNING ${options.returning}` : ''}`;
  return tx.query<Out>(sql, params);
}

/**
 * Inserts `rows` into `table` (`ON CONFLICT DO NOTHING`) and returns the ids of those inserted. The
 * answer is one row whatever the batch: null when every row went in, else the ids of those that did,
 * so a batch of 1,500 new rows is not read back row by row.
 */
export async function unnestInsertIds<Row>(
  tx: SqlQueryable,
  table: string,
  columns: readonly Column<Row>[],
  rows: readonly Row[],
  idOf: (row: Row) => string,
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const { insert, params } = insertOf(table, columns, rows);
  params.push(rows.length);
  const [answer] = await tx.query<{ ids: string[] | null }>(
    `WITH inserted AS (${insert} ON CONFLICT DO NOTHING RETURNING id)
     SELECT CASE WHEN count(*) < $${params.length}::int8 THEN coalesce(array_agg(id), '{}') END AS ids FROM inserted`,
    params,
  );
  return new Set(answer?.ids ?? rows.map(idOf));
}

/** The `INSERT … SELECT * FROM unnest(…)` of `rows` and its parameters, one array literal per column. */
function insertOf<Row>(
  table: string,
  columns: readonly Column<Row>[],
  rows: readonly Row[],
): { insert: string; params: unknown[] } {
  const names = columns.map(([name]) => quoteIdent(name)).join(', ');
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  const params = columns.map(([, , value]) => {
    const values = rows.map(value);
    return arrayLiteral(values) ?? values;
  });
  return { insert: `INSERT INTO ${quoteIdent(table)} (${names}) SELECT * FROM unnest(${arrays})`, params };
}
