// X and Z reports of a shift: per tender, what the drawer should hold against what was counted
// (the rule is src/domain/shift-tenders.ts, shared with HQ's Z report).
import { asc, count, eq, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { sum } from '../../src/domain/money.ts';
import { type TenderLine, tenderLines } from '../../src/domain/shift-tenders.ts';
import type { ShiftSeal } from '../../src/protocol/journal.ts';
import { cashMovements, payments, sales, shiftCounts, type shifts } from '../../src/schema/sqlite.ts';

export type ShiftRow = typeof shifts.$inferSelect;

export interface ShiftView {
  id: string;
  branch: string;
  terminal: string;
  openedBy: string | null;
  /** The signed-in user who opened it; null under --open-cashier-api. */
  openedByUserId: string | null;
  openedAt: string;
  openingFloatMinor: number;
  businessDate: string;
  closedBy: string | null;
  closedByUserId: string | null;
  closedAt: string | null;
}

export interface ShiftReport {
  /** `x`: a snapshot of an open shift; `z`: the final report of a closed one. */
  kind: 'x' | 'z';
  shift: ShiftView;
  salesCount: number;
  salesTotalMinor: number;
  refundsCount: number;
  refundsTotalMinor: number;
  /** Tax of sales less tax of refunds. */
  taxMinor: number;
  cashInMinor: number;
  cashOutMinor: number;
  tenders: TenderLine[];
  /**
   * A Z report's seal (docs/journal.md#sealed-z): the terminal's grand totals at the close and the
   * hash of its last document before it; null on an X report and on a shift closed before the journal.
   */
  seal: ShiftSeal | null;
  generatedAt: string;
}

/** The seal a closed shift keeps in its seal columns, or null. */
export function sealOf(row: ShiftRow): ShiftSeal | null {
  if (
    row.sealGrandSalesMinor === null ||
    row.sealGrandRefundsMinor === null ||
    row.sealGrandTaxMinor === null ||
    row.sealLastDocumentHash === null
  )
    return null;
  return {
    grandSalesMinor: row.sealGrandSalesMinor,
    grandRefundsMinor: row.sealGrandRefundsMinor,
    grandTaxMinor: row.sealGrandTaxMinor,
    lastDocumentHash: row.sealLastDocumentHash,
  };
}

export const shiftView = (row: ShiftRow): ShiftView => ({
  id: row.id,
  branch: row.branchCode,
  terminal: row.terminal,
  openedBy: row.openedBy,
  openedByUserId: row.openedByUserId,
  openedAt: row.openedAt,
  openingFloatMinor: row.openingFloatMinor,
  businessDate: row.businessDate,
  closedBy: row.closedBy,
  closedByUserId: row.closedByUserId,
  closedAt: row.closedAt,
});

/** Prepares the report's queries once; the returned function builds the report of a shift row. */
export function createShiftReporter(db: BetterSQLite3Database): (row: ShiftRow, at: Date) => ShiftReport {
  const id = sql.placeholder('id');
  const documentTotals = db
    .select({
      kind: sales.kind,
      n: count(),
      total: sql<number>`coalesce(sum(${sales.totalMinor}), 0)`,
      tax: sql<number>`coalesce(sum(${sales.taxMinor}), 0)`,
    })
    .from(sales)
    .where(eq(sales.shiftId, id))
    .groupBy(sales.kind)
    .prepare();
  // What each tender took in: sales add what was kept (net of change), refunds take back what they paid.
  const tenderTotals = db
    .select({
      method: payments.method,
      taken: sql<number>`coalesce(sum(CASE WHEN ${sales.kind} = 'sale' THEN ${payments.amountMinor} ELSE 0 END), 0)`,
      refunded: sql<number>`coalesce(sum(CASE WHEN ${sales.kind} = 'refund' THEN ${payments.amountMinor} ELSE 0 END), 0)`,
    })
    .from(payments)
    .innerJoin(sales, eq(sales.id, payments.saleId))
    .where(eq(sales.shiftId, id))
    .groupBy(payments.method)
    .prepare();
  const cashTotals = db
    .select({
      direction: cashMovements.direction,
      total: sql<number>`coalesce(sum(${cashMovements.amountMinor}), 0)`,
    })
    .from(cashMovements)
    .where(eq(cashMovements.shiftId, id))
    .groupBy(cashMovements.direction)
    .prepare();
  const counts = db
    .select()
    .from(shiftCounts)
    .where(eq(shiftCounts.shiftId, id))
    .orderBy(asc(shiftCounts.method))
    .prepare();

  return (row, at) => {
    const docs = documentTotals.all({ id: row.id });
    const sold = docs.find((d) => d.kind === 'sale');
    const refunded = docs.find((d) => d.kind === 'refund');
    const cash = cashTotals.all({ id: row.id });
    const cashIn = cash.find((c) => c.direction === 'in')?.total ?? 0;
    const cashOut = cash.find((c) => c.direction === 'out')?.total ?? 0;
    const taken = new Map(
      tenderTotals
        .all({ id: row.id })
        .map((t) => [t.method, { takenMinor: t.taken, refundedMinor: t.refunded }]),
    );
    const closed = row.closedAt !== null;
    const tenders = tenderLines({
      openingFloatMinor: row.openingFloatMinor,
      cashInMinor: cashIn,
      cashOutMinor: cashOut,
      taken,
      counted: closed
        ? new Map(counts.all({ id: row.id }).map((c) => [c.method, c.countedMinor]))
        : undefined,
    });
    return {
      kind: closed ? 'z' : 'x',
      shift: shiftView(row),
      salesCount: sold?.n ?? 0,
      salesTotalMinor: sold?.total ?? 0,
      refundsCount: refunded?.n ?? 0,
      refundsTotalMinor: refunded?.total ?? 0,
      taxMinor: sum([sold?.tax ?? 0, -(refunded?.tax ?? 0)]),
      cashInMinor: cashIn,
      cashOutMinor: cashOut,
      tenders,
      seal: closed ? sealOf(row) : null,
      generatedAt: at.toISOString(),
    };
  };
}
