// Reads the register page needs besides the cashier API's: a receipt by its number (or a sale by
// id, fetched from the cloud when another till recorded it), what has been refunded of each line,
// and the open shift of a terminal.
import { and, asc, desc, eq, isNull, sql } from 'drizzle-orm';
import { text, textLimits } from '../../src/domain/bounds.ts';
import { saleLines, sales, shifts, taxRates } from '../../src/schema/sqlite.ts';
import { type ShiftView, shiftView } from './shift-report.ts';
import type { EdgeStore } from './store.ts';

/** Quantity (thousandths) this edge's own refunds took back of each line of a sale. */
export function refundedHere(store: EdgeStore, saleId: string): { lineNo: number; qtyMilli: number }[] {
  return store.database.db
    .select({ lineNo: saleLines.originalLineNo, qtyMilli: sql<number>`sum(${saleLines.qtyMilli})` })
    .from(saleLines)
    .innerJoin(sales, eq(sales.id, saleLines.saleId))
    .where(eq(sales.originalSaleId, saleId))
    .groupBy(saleLines.originalLineNo)
    .all()
    .flatMap((r) => (r.lineNo === null ? [] : [{ lineNo: r.lineNo, qtyMilli: Number(r.qtyMilli) }]));
}

/** The id of this edge's document with that receipt number, if any. */
export function saleIdOfReceipt(store: EdgeStore, receiptNo: string): string | undefined {
  if (!text(textLimits.receiptNo).min(1).safeParse(receiptNo).success) return undefined;
  return store.database.db.select({ id: sales.id }).from(sales).where(eq(sales.receiptNo, receiptNo)).get()
    ?.id;
}

/** The terminal's open shift, or null. */
export function openShiftOf(store: EdgeStore, terminal: string): ShiftView | null {
  const row = store.database.db
    .select()
    .from(shifts)
    .where(and(eq(shifts.terminal, terminal), isNull(shifts.closedAt)))
    .get();
  return row ? shiftView(row) : null;
}

/** What a till at this edge sells as: branch, currency, time zone and the tax rates for open-price lines. */
export interface BranchInfo {
  branch: string;
  currency: string | null;
  timeZone: string;
  taxRates: { name: string; rateBp: number; inclusive: boolean; isDefault: boolean }[];
}

export function branchInfo(store: EdgeStore): BranchInfo {
  const ctx = store.catalog.branchContext(store.branch);
  const rates = store.database.db
    .select({
      name: taxRates.name,
      rateBp: taxRates.rateBp,
      inclusive: taxRates.inclusive,
      isDefault: taxRates.isDefault,
    })
    .from(taxRates)
    .orderBy(desc(taxRates.isDefault), asc(taxRates.rateBp))
    .all();
  return { branch: store.branch, currency: ctx.currency ?? null, timeZone: ctx.timeZone, taxRates: rates };
}
