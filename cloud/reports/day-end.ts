// Day-end per branch and business date (docs/day-end.md): every terminal's shifts of the day with
// their drawers (a shift still open has counted = null), what terminals sold outside any shift the
// tenant holds (never part of a drawer's expected cash, so listed apart), and the shifts of earlier
// days that are still open.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { type PaymentMethod, paymentMethods } from '../../src/domain/payloads.ts';
import { exact } from './figures.ts';
import type { Period } from './params.ts';
import { documentFilter } from './sales-figures.ts';
import { SHIFT_HEAD, type ShiftDrawer, type ShiftHead, shiftDrawers } from './shift-drawers.ts';

export type DayEndShift = ShiftHead & ShiftDrawer & { open: boolean };

export interface OutsideTender {
  method: PaymentMethod;
  takenMinor: number;
  refundedMinor: number;
  /** taken − refunded. */
  netMinor: number;
}

/** A terminal's documents of the day with no shift (shift_id null, or naming no shift the tenant holds). */
export interface WithoutShift {
  terminal: string;
  salesCount: number;
  refundsCount: number;
  tenders: OutsideTender[];
}

export interface DayEnd {
  branch: string;
  businessDate: string;
  /** The shifts of this business date, by terminal then opening. */
  shifts: DayEndShift[];
  withoutShift: WithoutShift[];
  /** Shifts of this branch from earlier business dates, not closed. */
  openFromEarlier: DayEndShift[];
}

export async function dayEndReport(
  db: SqlQueryable,
  p: Period,
): Promise<{ days: DayEnd[]; openFromEarlier: DayEndShift[] }> {
  const { where, params } = documentFilter(p, 'sh');
  // The period's shifts, and every shift of an earlier date still open (a day lists those before it).
  const heads = await db.query<ShiftHead>(
    `SELECT ${SHIFT_HEAD}
     FROM shifts sh
     WHERE (${where}) OR (sh.closed_at IS NULL AND sh.business_date < $2::date
       ${p.branch ? 'AND sh.branch_code = $3' : ''})
     ORDER BY sh.branch_code, sh.business_date, sh.terminal, sh.opened_at, sh.id`,
    params,
  );
  const drawers = await shiftDrawers(db, heads);
  const shifts: DayEndShift[] = heads.map((h) => ({
    ...h,
    open: h.closedAt === null,
    ...drawers.get(h.shiftId)!,
  }));

  const docs = documentFilter(p, 's');
  // Sums as numeric (text): never overflowing, answered exactly or refused (figures.ts).
  const outside = await db.query<{
    branch: string;
    business_date: string;
    terminal: string;
    method: PaymentMethod | null;
    /** 1 on the terminal's row over all its documents (the grouping set without method). */
    whole: number;
    sales: number;
    refunds: number;
    taken: string;
    refunded: string;
  }>(
    `SELECT s.branch_code AS branch, to_char(s.business_date, 'YYYY-MM-DD') AS business_date, s.terminal,
       p.method, GROUPING(p.method)::int AS whole,
       count(DISTINCT s.id) FILTER (WHERE s.kind = 'sale')::int AS sales,
       count(DISTINCT s.id) FILTER (WHERE s.kind = 'refund')::int AS refunds,
       coalesce(sum(p.amount_minor) FILTER (WHERE s.kind = 'sale'), 0)::numeric::text AS taken,
       coalesce(sum(p.amount_minor) FILTER (WHERE s.kind = 'refund'), 0)::numeric::text AS refunded
     FROM sales s
     LEFT JOIN shifts sh ON sh.id = s.shift_id
     LEFT JOIN payments p ON p.sale_id = s.id
     WHERE sh.id IS NULL AND ${docs.where}
     GROUP BY GROUPING SETS ((1, 2, 3, 4), (1, 2, 3))
     ORDER BY 1, 2, 3`,
    docs.params,
  );

  const days = new Map<string, DayEnd>();
  const dayOf = (branch: string, businessDate: string) => {
    const key = `${branch}\u0000${businessDate}`;
    let day = days.get(key);
    if (!day) {
      day = { branch, businessDate, shifts: [], withoutShift: [], openFromEarlier: [] };
      days.set(key, day);
    }
    return day;
  };
  const inPeriod = (s: DayEndShift) => s.businessDate >= p.from && s.businessDate <= p.to;
  for (const s of shifts) if (inPeriod(s)) dayOf(s.branch, s.businessDate).shifts.push(s);

  // Per terminal: the row without a method carries the document counts; the others its tenders.
  const terminals = new Map<string, WithoutShift>();
  for (const r of outside) {
    const key = `${r.branch}\u0000${r.business_date}\u0000${r.terminal}`;
    let t = terminals.get(key);
    if (!t) {
      t = { terminal: r.terminal, salesCount: 0, refundsCount: 0, tenders: [] };
      terminals.set(key, t);
      dayOf(r.branch, r.business_date).withoutShift.push(t);
    }
    const what = `${r.method ?? 'documents'} of ${r.terminal} outside a shift on ${r.business_date}`;
    if (r.whole === 1) {
      t.salesCount = r.sales;
      t.refundsCount = r.refunds;
      continue;
    }
    if (r.method === null) continue; // documents without a payment: counted above, no tender
    const takenMinor = exact(r.taken, `${what} taken`);
    const refundedMinor = exact(r.refunded, `${what} refunded`);
    t.tenders.push({
      method: r.method,
      takenMinor,
      refundedMinor,
      netMinor: exact(BigInt(r.taken) - BigInt(r.refunded), `${what} net`),
    });
  }
  for (const t of terminals.values()) {
    t.tenders.sort((a, b) => paymentMethods.indexOf(a.method) - paymentMethods.indexOf(b.method));
  }

  const open = shifts.filter((s) => s.open);
  const ordered = [...days.values()].sort(
    (a, b) => a.branch.localeCompare(b.branch) || a.businessDate.localeCompare(b.businessDate),
  );
  for (const day of ordered) {
    day.openFromEarlier = open.filter((s) => s.branch === day.branch && s.businessDate < day.businessDate);
  }
  return { days: ordered, openFromEarlier: open.filter((s) => s.businessDate < p.from) };
}
