// How much money a shift has recorded so far: its opening float, every sale and refund total and
// every cash movement, added up. A write that would take it past MAX_SHIFT_TURNOVER_MINOR is
// refused before anything is written, so every sum of the shift's X and Z reports stays exact and
// a shift can always be reported and closed (docs/bounds.md).
import { eq, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { MAX_SHIFT_TURNOVER_MINOR } from '../../src/domain/bounds.ts';
import { shifts } from '../../src/schema/sqlite.ts';
import { type EdgeOutcome, refuseWith } from '../errors.ts';

/** Refuses adding `amountMinor` to the shift when its turnover would pass the bound; undefined when it fits. */
export type ShiftRoom = (shiftId: string, amountMinor: number) => EdgeOutcome<never> | undefined;

export function createShiftRoom(db: BetterSQLite3Database): ShiftRoom {
  // Both sums use the shift_id indexes; each term is at most the bound, so SQLite's int64 sum is exact.
  // Written out: drizzle leaves columns unqualified inside `sql`, which a correlated subquery needs.
  const turnover = db
    .select({
      minor: sql<number>`shifts.opening_float_minor
        + (SELECT coalesce(sum(s.total_minor), 0) FROM sales s WHERE s.shift_id = shifts.id)
        + (SELECT coalesce(sum(m.amount_minor), 0) FROM cash_movements m WHERE m.shift_id = shifts.id)`,
    })
    .from(shifts)
    .where(eq(shifts.id, sql.placeholder('id')))
    .prepare();
  return (shiftId, amountMinor) => {
    const so = turnover.get({ id: shiftId })?.minor ?? 0;
    if (so + amountMinor <= MAX_SHIFT_TURNOVER_MINOR) return undefined;
    return refuseWith(
      'shift_turnover_exceeded',
      `shift ${shiftId} has recorded ${so} minor units; one shift records at most ${MAX_SHIFT_TURNOVER_MINOR}: close it and open another`,
      { shiftId, turnoverMinor: so, maxTurnoverMinor: MAX_SHIFT_TURNOVER_MINOR },
    );
  };
}
