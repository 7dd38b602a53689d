import { divRoundHalfUp } from '../../src/domain/money.ts';
import { exact } from './figures.ts';
import type { Period } from './params.ts';

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
export type Summed = string | number;

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
