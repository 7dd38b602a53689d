// The refunds report of SPEC §10: each refund with its original sale.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { exact } from './figures.ts';
import type { Period } from './params.ts';
import { documentFilter, type Summed } from './sales-figures.ts';

/** A refund row with its original (`r` the refund, `o` the original): the report's and the overview's. */
export const REFUND_ROWS = `SELECT r.id AS "refundId", r.receipt_no AS "receiptNo", r.branch_code AS branch,
       to_char(r.business_date, 'YYYY-MM-DD') AS "businessDate", r.occurred_at AS "occurredAt",
       r.total_minor AS "totalMinor", r.tax_minor AS "taxMinor", r.reason, r.cashier,
       r.original_sale_id AS "originalSaleId", o.receipt_no AS "originalReceiptNo",
       to_char(o.business_date, 'YYYY-MM-DD') AS "originalBusinessDate", o.branch_code AS "originalBranch",
       o.total_minor AS "originalTotalMinor"
     FROM sales r LEFT JOIN sales o ON o.id = r.original_sale_id`;

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
    `${REFUND_ROWS}
     WHERE r.kind = 'refund' AND ${where}
     ORDER BY r.occurred_at, r.id
     LIMIT $${params.length}`,
    params,
  );
  const count = summary?.n ?? 0;
  return { rows, truncated: count > rows.length, count, totalMinor: exact(summary?.total, 'refunds total') };
}
