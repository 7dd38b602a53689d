// The dashboard's Sales view in one answer (GET /v1/sales-overview): what the sales report by day, by
// hour and by branch, the top products, payments, refunds and flags reports answer for one period.
// Before it, the first view asked those seven reports, each its own transaction, and read the
// period's sales seven times (docs/benchmarks.md, "The pages").
//
// One pass over the period's sales groups them by business date, branch, hour on the branch's clock
// and flags: the day, hour and branch figures, the totals, the refunds' count and sum and the flags'
// counts all add up from those groups (each document is in exactly one). Lines (top products) and
// payments are read once each, beside it on the tenant's other pooled connection; the refunds
// listed are the latest few.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import { refuseOverflow } from './figures.ts';
import type { FlagRow, FlagTotal } from './flags.ts';
import { type Freshness, freshnessOf } from './operations.ts';
import { datesOf, type Period, resolvePeriod } from './params.ts';
import { type PaymentFigures, paymentsReport } from './payments.ts';
import { REFUND_ROWS, type RefundRow } from './refunds.ts';
import { type TenantFacts, tenantFacts } from './reports.ts';
import {
  addUp,
  documentFilter,
  FIGURES,
  type FigureRow,
  figures,
  type SalesFigures,
  zeroFigures,
} from './sales-figures.ts';
import { type ProductFigures, topProductsReport } from './top-products.ts';

/** The top products listed (each way) and the refunds listed, as the first view shows them. */
export const OVERVIEW_TOP_PRODUCTS = 10;
export const OVERVIEW_REFUNDS = 20;

export interface SalesOverview {
  currency: string;
  period: Period;
  totals: SalesFigures;
  byDay: (SalesFigures & { businessDate: string })[];
  byHour: (SalesFigures & { hour: number })[];
  byBranch: (SalesFigures & { branch: string })[];
  topProducts: { limit: number; byQuantity: ProductFigures[]; byRevenue: ProductFigures[] };
  payments: PaymentFigures[];
  refunds: { count: number; totalMinor: number; latest: RefundRow[] };
  flags: { rows: FlagRow[]; totals: FlagTotal[]; flaggedDocuments: number };
  freshness: Freshness;
}

type GroupRow = FigureRow & { day: string; branch: string; hour: number; flags: string };

function sumBy<K>(rows: readonly GroupRow[], key: (r: GroupRow) => K): Map<K, FigureRow[]> {
  const groups = new Map<K, FigureRow[]>();
  for (const r of rows) {
    const k = key(r);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return groups;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The flags report's rows from the groups: a document counts once per flag it carries. */
function flagsOf(rows: readonly GroupRow[]): SalesOverview['flags'] {
  const counts = new Map<string, FlagRow>();
  let flaggedDocuments = 0;
  for (const r of rows) {
    if (r.flags === '[]') continue;
    const documents = r.sales_count + r.refunds_count;
    flaggedDocuments += documents;
    for (const flag of new Set(JSON.parse(r.flags) as string[])) {
      const key = `${r.day}\u0000${r.branch}\u0000${flag}`;
      const row = counts.get(key);
      if (row) row.count += documents;
      else counts.set(key, { businessDate: r.day, branch: r.branch, flag, count: documents });
    }
  }
  const rows_ = [...counts.values()].sort(
    (a, b) => byText(a.businessDate, b.businessDate) || byText(a.branch, b.branch) || byText(a.flag, b.flag),
  );
  const totals = new Map<string, number>();
  for (const r of rows_) totals.set(r.flag, (totals.get(r.flag) ?? 0) + r.count);
  return {
    rows: rows_,
    totals: [...totals].sort(([a], [b]) => byText(a, b)).map(([flag, count]) => ({ flag, count })),
    flaggedDocuments,
  };
}

async function latestRefunds(db: SqlQueryable, p: Period, limit: number): Promise<RefundRow[]> {
  const { where, params } = documentFilter(p, 'r');
  params.push(limit);
  const rows = await db.query<RefundRow>(
    `${REFUND_ROWS}
     WHERE r.kind = 'refund' AND ${where}
     ORDER BY r.occurred_at DESC, r.id DESC
     LIMIT $${params.length}`,
    params,
  );
  return rows.reverse();
}

type Db = { transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> };
type Query = { from?: string | undefined; to?: string | undefined; branch?: string | undefined };

/** A read-only REPEATABLE READ transaction with the tenant's facts and the period resolved. */
function reading<T>(
  db: Db,
  query: Query,
  now: Date,
  fn: (tx: SqlQueryable, facts: TenantFacts, period: Period) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const facts = await tenantFacts(tx);
    const period = resolvePeriod(query, { now, timeZone: facts.timeZone });
    return refuseOverflow(() => fn(tx, facts, period));
  });
}

/**
 * The period's sales in groups, the latest refunds and the freshness (one transaction), beside
 * the top products and payments (another, on the tenant's second pooled connection): the two halves
 * cost about the same, so the answer takes about half their sum. Each half is one snapshot; the two
 * are taken at the same moment, as the seven reports' seven snapshots were before.
 */
export async function salesOverview(db: Db, query: Query, now: Date): Promise<SalesOverview> {
  const sales = reading(db, query, now, async (tx, facts, period) => {
    if (query.branch) {
      const [known] = await tx.query('SELECT 1 FROM branches WHERE code = $1', [query.branch]);
      if (!known) throw new AppError('not_found', `branch ${query.branch} not found`);
    }
    const { where, params } = documentFilter(period);
    params.push(facts.timeZone);
    // Hashed, not sorted: the planner expects as many groups as documents (29,215 for 30 days of
    // the 1,000,000-line bench tenant; there are 1,486) and, in the default 4 MB, sorted 29,181 rows
    // first. With room for the hash table it hashes them: 65 ms against 125 ms p50 on the loaded
    // bench machine (EXPLAIN ANALYZE, 8 runs each).
    await tx.query("SET LOCAL work_mem = '16MB'");
    const groups = await tx.query<GroupRow>(
      `SELECT to_char(s.business_date, 'YYYY-MM-DD') AS day, s.branch_code AS branch,
         extract(hour FROM s.occurred_at AT TIME ZONE coalesce(b.time_zone, $${params.length}::text))::int AS hour,
         s.flags, ${FIGURES}
       FROM sales s LEFT JOIN branches b ON b.code = s.branch_code
       WHERE ${where}
       GROUP BY s.business_date, 2, 3, 4`,
      params,
    );
    const latest = await latestRefunds(tx, period, OVERVIEW_REFUNDS);
    const freshness = await freshnessOf(tx, query.branch ?? null, now);
    return { currency: facts.currency, period, groups, latest, freshness };
  });
  const linesAndPayments = reading(db, query, now, async (tx, _facts, period) => ({
    top: await topProductsReport(tx, period, OVERVIEW_TOP_PRODUCTS),
    payments: await paymentsReport(tx, period),
  }));
  const [{ currency, period, groups, latest, freshness }, { top, payments }] = await Promise.all([
    sales,
    linesAndPayments,
  ]);
  return refuseOverflow(async () => {
    const days = sumBy(groups, (r) => r.day);
    const hours = sumBy(groups, (r) => r.hour);
    const branches = sumBy(groups, (r) => r.branch);
    const at = (g: FigureRow[] | undefined) => figures(g ? addUp(g) : zeroFigures);
    const totals = figures(addUp(groups));
    return {
      currency,
      period,
      totals,
      byDay: datesOf(period).map((d) => ({ businessDate: d, ...at(days.get(d)) })),
      byHour: Array.from({ length: 24 }, (_, h) => ({ hour: h, ...at(hours.get(h)) })),
      byBranch: [...branches.keys()].sort(byText).map((b) => ({ branch: b, ...at(branches.get(b)) })),
      topProducts: { limit: OVERVIEW_TOP_PRODUCTS, ...top },
      payments,
      refunds: { count: totals.refundsCount, totalMinor: totals.refundsMinor, latest },
      flags: flagsOf(groups),
      freshness,
    };
  });
}
