// The money reports of SPEC §10 over completed documents: sales (by day, branch, local hour or
// cashier), top products, payments, tax and refunds. Each document counts on its own branch-local
// business date, as the edge dated it when it was recorded, so a sale at 23:30 local time is that
// day's and a refund is counted on the day it was given, not on the day of the sale it refunds.
//
// Definitions (all in minor units of the tenant's currency, tax included unless said otherwise):
//   gross      = Σ sales (total + discount): what was sold before discounts
//   discounts  = Σ sales discount
//   refunds    = Σ refunds total
//   net        = gross − discounts − refunds = Σ sales total − Σ refunds total
//   tax        = Σ sales tax − Σ refunds tax
//   averageTicket = Σ sales total / sales count, rounded half-up (0 without sales)
import type { SqlQueryable } from '../../src/db/sql.ts';
import { divRoundHalfUp } from '../../src/domain/money.ts';
import { exact } from './figures.ts';
import { datesOf, type Period } from './params.ts';

/**
 * `WHERE` over documents (`alias`) in the period and branch; parameters start at $1. Sale lines and
 * payments carry their document's business date and branch (tenant migration 0006), so it applies
 * to them too, and the reports over lines and payments read only the period's rows, without `sales`.
 */
export function documentFilter(p: Period, alias = 's'): { where: string; params: unknown[] } {
  const params: unknown[] = [p.from, p.to];
  let where = `${alias}.business_date BETWEEN $1::date AND $2::date`;
  if (p.branch) {
    params.push(p.branch);
    where += ` AND ${alias}.branch_code = $${params.length}`;
  }
  return { where, params };
}

/** Sums over documents `s`: the columns every sales figure is made of (numeric: they never overflow). */
export const FIGURES = `
  count(*) FILTER (WHERE s.kind = 'sale')::int AS sales_count,
  coalesce(sum(s.total_minor + s.discount_minor) FILTER (WHERE s.kind = 'sale'), 0)::numeric AS gross,
  coalesce(sum(s.discount_minor) FILTER (WHERE s.kind = 'sale'), 0)::numeric AS discounts,
  count(*) FILTER (WHERE s.kind = 'refund')::int AS refunds_count,
  coalesce(sum(s.total_minor) FILTER (WHERE s.kind = 'refund'), 0)::numeric AS refunds,
  coalesce(sum(s.total_minor) FILTER (WHERE s.kind = 'sale'), 0)::numeric AS sales_total,
  coalesce(sum(CASE WHEN s.kind = 'sale' THEN s.tax_minor ELSE -s.tax_minor END), 0)::numeric AS tax`;

/** Sums come back as numeric text; `exact` makes them numbers. */
type Summed = string | number;

export interface FigureRow {
  sales_count: number;
  gross: Summed;
  discounts: Summed;
  refunds_count: number;
  refunds: Summed;
  sales_total: Summed;
  tax: Summed;
}

export interface SalesFigures {
  count: number;
  grossMinor: number;
  discountsMinor: number;
  refundsCount: number;
  refundsMinor: number;
  netMinor: number;
  taxMinor: number;
  averageTicketMinor: number;
}

export const zeroFigures: FigureRow = {
  sales_count: 0,
  gross: 0,
  discounts: 0,
  refunds_count: 0,
  refunds: 0,
  sales_total: 0,
  tax: 0,
};

const FIGURE_KEYS = Object.keys(zeroFigures) as (keyof FigureRow)[];

/** The figures of several groups as one (exact: summed as bigint, kept as text). */
export function addUp(rows: readonly FigureRow[]): FigureRow {
  const sum = (k: keyof FigureRow) => String(rows.reduce((n, r) => n + BigInt(r[k]), 0n));
  const total = Object.fromEntries(FIGURE_KEYS.map((k) => [k, sum(k)])) as unknown as FigureRow;
  return {
    ...total,
    sales_count: exact(total.sales_count, 'count'),
    refunds_count: exact(total.refunds_count, 'refunds count'),
  };
}

export function figures(r: FigureRow): SalesFigures {
  return {
    count: r.sales_count,
    grossMinor: exact(r.gross, 'gross'),
    discountsMinor: exact(r.discounts, 'discounts'),
    refundsCount: r.refunds_count,
    refundsMinor: exact(r.refunds, 'refunds'),
    netMinor: exact(BigInt(r.sales_total) - BigInt(r.refunds), 'net'),
    taxMinor: exact(r.tax, 'tax'),
    averageTicketMinor:
      r.sales_count === 0
        ? 0
        : exact(divRoundHalfUp(BigInt(r.sales_total), BigInt(r.sales_count)), 'average ticket'),
  };
}

export type SalesGroup = 'day' | 'branch' | 'hour' | 'cashier';

export type SalesRow = SalesFigures &
  (
    | { businessDate: string }
    | { branch: string }
    | { hour: number }
    | { cashierUserId: string | null; cashier: string | null; cashierName: string | null }
  );

/**
 * The grouping key of each `groupBy`; `hour` is the hour on the branch's own clock, falling back to
 * the tenant's zone, which is bound as parameter `tz` (e.g. `$3`).
 */
const GROUPS: Record<SalesGroup, (tz: string) => { select: string; groupBy: string; join?: string }> = {
  day: () => ({ select: `to_char(s.business_date, 'YYYY-MM-DD') AS key`, groupBy: '1' }),
  branch: () => ({ select: 's.branch_code AS key', groupBy: '1' }),
  hour: (tz) => ({
    select: `extract(hour FROM s.occurred_at AT TIME ZONE coalesce(b.time_zone, ${tz}))::int AS key`,
    groupBy: '1',
    join: 'LEFT JOIN branches b ON b.code = s.branch_code',
  }),
  cashier: () => ({
    select: `s.cashier_user_id AS key, CASE WHEN s.cashier_user_id IS NULL THEN s.cashier END AS given,
      min(u.name) AS user_name, min(s.cashier) AS any_given`,
    groupBy: '1, 2',
    join: 'LEFT JOIN users u ON u.id = s.cashier_user_id',
  }),
};

export async function salesReport(
  db: SqlQueryable,
  p: Period,
  groupBy: SalesGroup,
  timeZone: string,
): Promise<{ rows: SalesRow[]; totals: SalesFigures }> {
  const { where, params } = documentFilter(p);
  if (groupBy === 'hour') params.push(timeZone);
  const g = GROUPS[groupBy](`$${params.length}::text`);
  const select = g.select;
  type Row = FigureRow & {
    key: string | number | null;
    given?: string | null;
    user_name?: string | null;
    any_given?: string | null;
  };
  const rows = await db.query<Row>(
    `SELECT ${select}, ${FIGURES}
     FROM sales s ${g.join ?? ''}
     WHERE ${where}
     GROUP BY ${g.groupBy}
     ORDER BY 1 NULLS LAST${groupBy === 'cashier' ? ', 2 NULLS LAST' : ''}`,
    params,
  );
  // The groups add up to the period, so its totals are not read a second time: every grouping puts
  // each document in exactly one group (the joins reach one branch by its unique code, one user by
  // id). A second `SELECT` of the totals repeated the same index scan (EXPLAIN: 30,010 rows of
  // sales_date twice), a quarter of this report's time over 30 days of a 1,000,000-line tenant.
  const totals = figures(addUp(rows));

  if (groupBy === 'day') {
    // Every day of the period, quiet ones as zeros, so a chart has no holes.
    const byDay = new Map(rows.map((r) => [String(r.key), r]));
    return {
      rows: datesOf(p).map((d) => ({ businessDate: d, ...figures(byDay.get(d) ?? zeroFigures) })),
      totals,
    };
  }
  if (groupBy === 'hour') {
    const byHour = new Map(rows.map((r) => [Number(r.key), r]));
    return {
      rows: Array.from({ length: 24 }, (_, h) => ({ hour: h, ...figures(byHour.get(h) ?? zeroFigures) })),
      totals,
    };
  }
  if (groupBy === 'branch')
    return { rows: rows.map((r) => ({ branch: String(r.key), ...figures(r) })), totals };
  return {
    rows: rows.map((r) => ({
      cashierUserId: r.key === null ? null : String(r.key),
      cashier: r.key === null ? (r.given ?? null) : (r.any_given ?? null),
      cashierName: r.user_name ?? null,
      ...figures(r),
    })),
    totals,
  };
}

export interface ProductFigures {
  rank: number;
  productId: string;
  sku: string | null;
  name: string;
  /** Sold less refunded, in thousandths. */
  qtyMilli: number;
  /** Sold less refunded, tax included (the sales report's net, for lines of catalog products). */
  revenueMinor: number;
  lines: number;
}

/**
 * The best-selling catalog products by quantity and by revenue, both net of refunds. Open-price
 * lines name no product and are left out. One pass ranks every product both ways.
 */
export async function topProductsReport(
  db: SqlQueryable,
  p: Period,
  limit: number,
): Promise<{ byQuantity: ProductFigures[]; byRevenue: ProductFigures[] }> {
  const { where, params } = documentFilter(p, 'l');
  params.push(limit);
  const rows = await db.query<{
    product_id: string;
    sku: string | null;
    name: string | null;
    qty: Summed;
    revenue: Summed;
    lines: number;
    by_qty: number;
    by_revenue: number;
  }>(
    `WITH per_product AS (
       SELECT l.product_id,
         sum(CASE WHEN l.kind = 'sale' THEN l.qty_milli ELSE -l.qty_milli END) AS qty,
         sum(CASE WHEN l.kind = 'sale' THEN l.total_minor ELSE -l.total_minor END) AS revenue,
         count(*) FILTER (WHERE l.kind = 'sale')::int AS lines
       FROM sale_lines l
       WHERE ${where} AND l.product_id IS NOT NULL
       GROUP BY l.product_id),
     ranked AS (
       SELECT *, row_number() OVER (ORDER BY qty DESC, product_id)::int AS by_qty,
         row_number() OVER (ORDER BY revenue DESC, product_id)::int AS by_revenue
       FROM per_product)
     SELECT r.product_id, pr.sku, pr.name, r.qty, r.revenue, r.lines, r.by_qty, r.by_revenue
     FROM ranked r LEFT JOIN products pr ON pr.id = r.product_id
     WHERE r.by_qty <= $${params.length} OR r.by_revenue <= $${params.length}`,
    params,
  );
  const lineNames = await namesFromLines(
    db,
    p,
    rows.filter((r) => r.name === null).map((r) => r.product_id),
  );
  const shape = (rank: number, r: (typeof rows)[number]): ProductFigures => ({
    rank,
    productId: r.product_id,
    sku: r.sku,
    // A ranked product has lines in the period, read in the same snapshot: it has a line name.
    name: r.name ?? lineNames.get(r.product_id) ?? r.product_id,
    qtyMilli: exact(r.qty, `quantity of ${r.product_id}`),
    revenueMinor: exact(r.revenue, `revenue of ${r.product_id}`),
    lines: r.lines,
  });
  return {
    byQuantity: rows
      .filter((r) => r.by_qty <= limit)
      .sort((a, b) => a.by_qty - b.by_qty)
      .map((r) => shape(r.by_qty, r)),
    byRevenue: rows
      .filter((r) => r.by_revenue <= limit)
      .sort((a, b) => a.by_revenue - b.by_revenue)
      .map((r) => shape(r.by_revenue, r)),
  };
}

/**
 * Products the catalog lacks, named after their lines of the period and branch (the least name).
 * Asked for the ranked few only, and only when there are any: `min(name)` in the ranking pass took
 * 40 of its 60 ms over 30 days of a 1,000,000-line tenant, and as a subquery per ranked row it
 * raised the plan's cost past `jit_above_cost` (JIT compiling then took 2 s).
 */
async function namesFromLines(
  db: SqlQueryable,
  p: Period,
  productIds: string[],
): Promise<Map<string, string>> {
  if (productIds.length === 0) return new Map();
  const { where, params } = documentFilter(p, 'l');
  params.push(productIds);
  const rows = await db.query<{ product_id: string; name: string }>(
    `SELECT l.product_id, min(l.name) AS name FROM sale_lines l
     WHERE l.product_id = ANY($${params.length}::text[]) AND ${where}
     GROUP BY l.product_id`,
    params,
  );
  return new Map(rows.map((r) => [r.product_id, r.name]));
}

export interface PaymentFigures {
  method: string;
  count: number;
  /** What sales kept in this tender (net of change). */
  takenMinor: number;
  refundsCount: number;
  refundedMinor: number;
  netMinor: number;
}

/** Per tender: what sales took and refunds paid back. */
export async function paymentsReport(db: SqlQueryable, p: Period): Promise<PaymentFigures[]> {
  const { where, params } = documentFilter(p, 'p');
  const rows = await db.query<{ method: string; n: number; taken: Summed; rn: number; refunded: Summed }>(
    `SELECT p.method,
       count(*) FILTER (WHERE p.kind = 'sale')::int AS n,
       coalesce(sum(p.amount_minor) FILTER (WHERE p.kind = 'sale'), 0) AS taken,
       count(*) FILTER (WHERE p.kind = 'refund')::int AS rn,
       coalesce(sum(p.amount_minor) FILTER (WHERE p.kind = 'refund'), 0) AS refunded
     FROM payments p
     WHERE ${where}
     GROUP BY p.method ORDER BY p.method`,
    params,
  );
  return rows.map((r) => ({
    method: r.method,
    count: r.n,
    takenMinor: exact(r.taken, `${r.method} taken`),
    refundsCount: r.rn,
    refundedMinor: exact(r.refunded, `${r.method} refunded`),
    netMinor: exact(BigInt(r.taken) - BigInt(r.refunded), `${r.method} net`),
  }));
}

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

export interface RefundRow {
  refundId: string;
  receiptNo: string;
  branch: string;
  businessDate: string;
  occurredAt: string;
  totalMinor: number;
  taxMinor: number;
  reason: string | null;
  cashier: string | null;
  /** The sale refunded; null fields when that sale has not reached the cloud (yet). */
  originalSaleId: string | null;
  originalReceiptNo: string | null;
  originalBusinessDate: string | null;
  originalBranch: string | null;
  originalTotalMinor: number | null;
}

/** Refunds of the period, oldest first, each with the sale it refunds; at most `limit`. */
export async function refundsReport(
  db: SqlQueryable,
  p: Period,
  limit: number,
): Promise<{ rows: RefundRow[]; truncated: boolean; count: number; totalMinor: number }> {
  const { where, params } = documentFilter(p, 'r');
  const [summary] = await db.query<{ n: number; total: Summed }>(
    `SELECT count(*)::int AS n, coalesce(sum(r.total_minor), 0) AS total
     FROM sales r WHERE r.kind = 'refund' AND ${where}`,
    params,
  );
  params.push(limit);
  const rows = await db.query<RefundRow>(
    `SELECT r.id AS "refundId", r.receipt_no AS "receiptNo", r.branch_code AS branch,
       to_char(r.business_date, 'YYYY-MM-DD') AS "businessDate", r.occurred_at AS "occurredAt",
       r.total_minor AS "totalMinor", r.tax_minor AS "taxMinor", r.reason, r.cashier,
       r.original_sale_id AS "originalSaleId", o.receipt_no AS "originalReceiptNo",
       to_char(o.business_date, 'YYYY-MM-DD') AS "originalBusinessDate", o.branch_code AS "originalBranch",
       o.total_minor AS "originalTotalMinor"
     FROM sales r LEFT JOIN sales o ON o.id = r.original_sale_id
     WHERE r.kind = 'refund' AND ${where}
     ORDER BY r.occurred_at, r.id
     LIMIT $${params.length}`,
    params,
  );
  const count = summary?.n ?? 0;
  return { rows, truncated: count > rows.length, count, totalMinor: exact(summary?.total, 'refunds total') };
}
