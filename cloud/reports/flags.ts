// The flags report: how many documents carry each flag, per branch and branch-local business date,
// so HQ sees where to look (prices changed while a till was offline, deactivated products sold,
// unknown cashiers, stock below zero, typed prices). Flags are JSON arrays on `sales` (the edge's and
// the cloud's: src/domain/sale.ts, docs/sync-integrity.md).
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { Period } from './params.ts';
import { documentFilter } from './sales-figures.ts';

export interface FlagRow {
  businessDate: string;
  branch: string;
  flag: string;
  /** Documents (sales, and refunds for the flags a refund can carry) of that date and branch with the flag. */
  count: number;
}

export interface FlagTotal {
  flag: string;
  count: number;
}

/** Flagged documents per business date, branch and flag (in that order), and per flag over the period. */
export async function flagsReport(
  db: SqlQueryable,
  period: Period,
): Promise<{ rows: FlagRow[]; totals: FlagTotal[]; flaggedDocuments: number }> {
  const { where, params } = documentFilter(period);
  // A document counts once per flag it carries, however many of its lines carry it.
  const rows = await db.query<{ date: string; branch: string; flag: string; n: number }>(
    `SELECT s.business_date AS date, s.branch_code AS branch, f.flag, count(*)::int AS n
       FROM sales s CROSS JOIN LATERAL (SELECT DISTINCT jsonb_array_elements_text(s.flags::jsonb) AS flag) f
      WHERE ${where} AND s.flags <> '[]'
      GROUP BY 1, 2, 3
      ORDER BY 1, s.branch_code COLLATE "C", f.flag COLLATE "C"`,
    params,
  );
  const [flagged] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM sales s WHERE ${where} AND s.flags <> '[]'`,
    params,
  );
  const totals = new Map<string, number>();
  for (const r of rows) totals.set(r.flag, (totals.get(r.flag) ?? 0) + r.n);
  return {
    rows: rows.map((r) => ({ businessDate: r.date, branch: r.branch, flag: r.flag, count: r.n })),
    totals: [...totals]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([flag, count]) => ({ flag, count })),
    flaggedDocuments: flagged?.n ?? 0,
  };
}
