// The tax report of SPEC §10: tax by rate over the period's sale lines, refunds taken off.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { exact } from './figures.ts';
import type { Period } from './params.ts';
import { documentFilter, type Summed } from './sales-figures.ts';

export interface TaxFigures {
  rateBp: number;
  inclusive: boolean;
  /** Net of refunds, tax excluded. */
  baseMinor: number;
  taxMinor: number;
}

/** Per rate (as copied onto each line when sold): base without tax and tax, net of refunds. */
export async function taxReport(db: SqlQueryable, p: Period): Promise<TaxFigures[]> {
  const { where, params } = documentFilter(p, 'l');
  const rows = await db.query<{ rate_bp: number; inclusive: boolean; base: Summed; tax: Summed }>(
    `SELECT l.tax_rate_bp AS rate_bp, l.tax_inclusive AS inclusive,
       sum(CASE WHEN l.kind = 'sale' THEN 1 ELSE -1 END * (l.total_minor - l.tax_minor)::numeric) AS base,
       sum(CASE WHEN l.kind = 'sale' THEN 1 ELSE -1 END * l.tax_minor) AS tax
     FROM sale_lines l
     WHERE ${where}
     GROUP BY 1, 2 ORDER BY 1, 2`,
    params,
  );
  return rows.map((r) => ({
    rateBp: r.rate_bp,
    inclusive: r.inclusive,
    baseMinor: exact(r.base, `base at ${r.rate_bp} bp`),
    taxMinor: exact(r.tax, `tax at ${r.rate_bp} bp`),
  }));
}
