// What each shift's drawer should hold per tender against what was counted, for HQ's Z and day-end
// report: the figures the cloud holds, put through the edge's own rule (src/domain/shift-tenders.ts)
// so that HQ and the till print the same expected cash. A shift still open has counted = null.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { MoneyError } from '../../src/domain/money.ts';
import { type TenderLine, type TenderTotals, tenderLines } from '../../src/domain/shift-tenders.ts';
import { exact, outOfRange } from './figures.ts';

export interface ShiftHead {
  shiftId: string;
  branch: string;
  terminal: string;
  businessDate: string;
  openedBy: string | null;
  openedAt: string;
  closedBy: string | null;
  closedAt: string | null;
  openingFloatMinor: number;
}

export interface ShiftDrawer {
  cashInMinor: number;
  cashOutMinor: number;
  tenders: TenderLine[];
}

/** The columns of `ShiftHead`, from `shifts sh`. */
export const SHIFT_HEAD = `sh.id AS "shiftId", sh.branch_code AS branch, sh.terminal,
  to_char(sh.business_date, 'YYYY-MM-DD') AS "businessDate", sh.opened_by AS "openedBy",
  sh.opened_at AS "openedAt", sh.closed_by AS "closedBy", sh.closed_at AS "closedAt",
  sh.opening_float_minor AS "openingFloatMinor"`;

/** The drawer of every shift given, by id; a sum beyond 2^53 refuses the report, naming the shift. */
export async function shiftDrawers(
  db: SqlQueryable,
  shifts: readonly ShiftHead[],
): Promise<Map<string, ShiftDrawer>> {
  const drawers = new Map<string, ShiftDrawer>();
  if (shifts.length === 0) return drawers;
  const ids = shifts.map((s) => s.shiftId);
  // One statement at a time: `db` may be one transaction's client, which runs them in turn anyway
  // (pg deprecates queueing a query on a client that is still busy with another).
  // Tenders go through sales, which alone know the shift (sales_shift). Bounding payments by those
  // sales' business dates (tenant migration 0006) in the same statement halved this over 30 days of a
  // 1,000,000-line tenant (EXPLAIN: 221 → 103 ms) but doubled it over a year (590 → 1,150 ms): the
  // planner cannot see bounds computed in the statement. Asking for the bounds first saved ~90 ms over
  // 30 days and cost ~150 ms over a year, so the plain join stays.
  // Sums as numeric (text): a shift a device filled beyond the bounds cannot overflow them.
  const tenders = await db.query<{ shift_id: string; method: string; taken: string; refunded: string }>(
    `SELECT s.shift_id, p.method,
       coalesce(sum(p.amount_minor) FILTER (WHERE s.kind = 'sale'), 0) AS taken,
       coalesce(sum(p.amount_minor) FILTER (WHERE s.kind = 'refund'), 0) AS refunded
     FROM sales s JOIN payments p ON p.sale_id = s.id
     WHERE s.shift_id = ANY($1::text[]) GROUP BY 1, 2`,
    [ids],
  );
  const cash = await db.query<{ shift_id: string; direction: 'in' | 'out'; total: string }>(
    `SELECT shift_id, direction, sum(amount_minor) AS total
     FROM cash_movements WHERE shift_id = ANY($1::text[]) GROUP BY 1, 2`,
    [ids],
  );
  const counts = await db.query<{ shift_id: string; method: string; counted_minor: number }>(
    'SELECT shift_id, method, counted_minor FROM shift_counts WHERE shift_id = ANY($1::text[])',
    [ids],
  );
  const takenBy = new Map<string, Map<string, TenderTotals>>();
  for (const t of tenders) {
    const m = takenBy.get(t.shift_id) ?? new Map<string, TenderTotals>();
    m.set(t.method, {
      takenMinor: exact(t.taken, `${t.method} taken in shift ${t.shift_id}`),
      refundedMinor: exact(t.refunded, `${t.method} refunded in shift ${t.shift_id}`),
    });
    takenBy.set(t.shift_id, m);
  }
  const countedBy = new Map<string, Map<string, number>>();
  for (const c of counts) {
    const m = countedBy.get(c.shift_id) ?? new Map<string, number>();
    m.set(c.method, Number(c.counted_minor));
    countedBy.set(c.shift_id, m);
  }
  const cashOf = (id: string, direction: 'in' | 'out') =>
    exact(
      cash.find((c) => c.shift_id === id && c.direction === direction)?.total,
      `cash ${direction} of shift ${id}`,
    );
  for (const s of shifts) {
    const cashInMinor = cashOf(s.shiftId, 'in');
    const cashOutMinor = cashOf(s.shiftId, 'out');
    try {
      const tenders = tenderLines({
        openingFloatMinor: Number(s.openingFloatMinor),
        cashInMinor,
        cashOutMinor,
        taken: takenBy.get(s.shiftId) ?? new Map(),
        // An open shift has no count yet: every counted and difference is null, as in the edge's X report.
        counted: s.closedAt === null ? undefined : (countedBy.get(s.shiftId) ?? new Map()),
      });
      drawers.set(s.shiftId, { cashInMinor, cashOutMinor, tenders });
    } catch (err) {
      if (err instanceof MoneyError) throw outOfRange(`the expected drawer of shift ${s.shiftId}`);
      throw err;
    }
  }
  return drawers;
}
