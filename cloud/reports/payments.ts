// The payments report of SPEC §10: what each tender took and gave back, over the period's payments.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { exact } from './figures.ts';
import type { Period } from './params.ts';
import { documentFilter, type Summed } from './sales-figures.ts';

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
