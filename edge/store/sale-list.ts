// Listing sales and refunds newest first, page by page: `before` is the id of the last document of
// the previous page (keyset on the row order, so pages stay stable while new sales arrive).
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { SaleFlag } from '../../src/domain/sale.ts';
import { flagsSchema } from '../../src/protocol/mutations.ts';
import { sales } from '../../src/schema/sqlite.ts';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';

export interface SaleSummary {
  id: string;
  kind: 'sale' | 'refund';
  receiptNo: string;
  originalSaleId: string | null;
  terminal: string;
  shiftId: string | null;
  cashier: string | null;
  currency: string;
  totalMinor: number;
  occurredAt: string;
  businessDate: string;
  flags: SaleFlag[];
}

export interface SaleFilter {
  terminal?: string | undefined;
  kind?: 'sale' | 'refund' | undefined;
  businessDate?: string | undefined;
  shiftId?: string | undefined;
  /** The id of the last document of the previous page. */
  before?: string | undefined;
  limit: number;
}

export type SalePage = { sales: SaleSummary[]; next: string | null };

export function createSaleList(db: BetterSQLite3Database): (filter: SaleFilter) => EdgeOutcome<SalePage> {
  const rowidOf = db
    .select({ rowid: sql<number>`rowid` })
    .from(sales)
    .where(eq(sales.id, sql.placeholder('id')))
    .prepare();
  return (filter) => {
    const where: SQL[] = [];
    if (filter.terminal !== undefined) where.push(eq(sales.terminal, filter.terminal));
    if (filter.kind !== undefined) where.push(eq(sales.kind, filter.kind));
    if (filter.businessDate !== undefined) where.push(eq(sales.businessDate, filter.businessDate));
    if (filter.shiftId !== undefined) where.push(eq(sales.shiftId, filter.shiftId));
    if (filter.before !== undefined) {
      const anchor = rowidOf.get({ id: filter.before });
      if (!anchor) return refuseWith('invalid_input', `query.before: no sale ${filter.before} on this edge`);
      where.push(sql`rowid < ${anchor.rowid}`);
    }
    const rows = db
      .select({
        id: sales.id,
        kind: sales.kind,
        receiptNo: sales.receiptNo,
        originalSaleId: sales.originalSaleId,
        terminal: sales.terminal,
        shiftId: sales.shiftId,
        cashier: sales.cashier,
        currency: sales.currency,
        totalMinor: sales.totalMinor,
        occurredAt: sales.occurredAt,
        businessDate: sales.businessDate,
        flags: sales.flags,
      })
      .from(sales)
      .where(and(...where))
      .orderBy(desc(sql`rowid`))
      .limit(filter.limit + 1)
      .all();
    const page = rows
      .slice(0, filter.limit)
      .map((r) => ({ ...r, flags: flagsSchema.parse(JSON.parse(r.flags)) }));
    return accept({ sales: page, next: rows.length > filter.limit ? (page.at(-1)?.id ?? null) : null });
  };
}
