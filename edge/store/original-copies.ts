// Copies of sales the cloud gave this edge to refund them (protocol 5): the original when another
// till recorded it, and what the tenant's other edges had refunded of each line. Kept in their own
// table (migrations/edge/0003_original_copies.sql), never in `sales`: a copy is in none of this
// edge's sales lists, shift reports, turnover checks, receipt series or outbox.
import { eq, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { type DeviceSale, deviceSaleSchema, type OriginalSale } from '../../src/protocol/device-sales.ts';

export const originalCopies = sqliteTable('original_copies', {
  saleId: text('sale_id').primaryKey(),
  document: text('document').notNull(),
  refundedElsewhere: text('refunded_elsewhere').notNull(),
  fetchedAt: text('fetched_at').notNull(),
});

/** A copy as kept: the cloud's answer and when it was fetched. */
export interface OriginalCopy extends DeviceSale {
  fetchedAt: string;
}

export interface OriginalCopies {
  /** Keeps (or replaces) the copy of a sale, inside the caller's transaction. */
  save(answer: DeviceSale, fetchedAt: string): void;
  get(saleId: string): OriginalCopy | undefined;
  /** The sale id of the copy printed with that receipt number, if this edge keeps one. */
  idOfReceipt(receiptNo: string): string | undefined;
}

export function createOriginalCopies(db: BetterSQLite3Database): OriginalCopies {
  const byId = db
    .select()
    .from(originalCopies)
    .where(eq(originalCopies.saleId, sql.placeholder('id')))
    .prepare();
  // Few rows (the sales this edge refunded for other tills): the receipt number is read from the JSON.
  const byReceipt = db
    .select({ saleId: originalCopies.saleId })
    .from(originalCopies)
    .where(sql`json_extract(${originalCopies.document}, '$.receiptNo') = ${sql.placeholder('receiptNo')}`)
    .prepare();
  return {
    save(answer, fetchedAt) {
      const row = {
        document: JSON.stringify(answer.sale),
        refundedElsewhere: JSON.stringify(answer.refundedElsewhere),
        fetchedAt,
      };
      db.insert(originalCopies)
        .values({ saleId: answer.sale.id, ...row })
        .onConflictDoUpdate({ target: originalCopies.saleId, set: row })
        .run();
    },
    get(saleId) {
      const row = byId.get({ id: saleId });
      if (!row) return undefined;
      // Written from a parsed answer; parsed again so a copy is never trusted beyond its schema.
      const parsed = deviceSaleSchema.safeParse({
        sale: JSON.parse(row.document) as OriginalSale,
        refundedElsewhere: JSON.parse(row.refundedElsewhere),
      });
      return parsed.success ? { ...parsed.data, fetchedAt: row.fetchedAt } : undefined;
    },
    idOfReceipt(receiptNo) {
      return byReceipt.get({ receiptNo })?.saleId;
    },
  };
}
