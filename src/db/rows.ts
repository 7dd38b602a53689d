// Reading rows a query answers as untyped records (`SELECT … FROM … WHERE id = ANY($1)` over several
// tables at once): each column converted as the wire wants it, and child rows grouped by their parent.
// NULL stays null only where a column may hold it; timestamps arrive as ISO strings (type-parsers.ts).

/** A row as the database answers it. */
export type Row = Record<string, unknown>;

export const num = (v: unknown): number => Number(v);
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const str = (v: unknown): string => String(v);
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Rows grouped by the value of their column `key` (a document's lines by `sale_id`, …), in order. */
export function groupBy(rows: readonly Row[], key: string): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) {
    const k = String(r[key]);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}
