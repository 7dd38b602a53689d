// Sales and refunds as documents: what the cashier API answers, what GET returns later (the same
// shape, so a retried POST gets the first answer back) and what the outbox carries to the cloud.
// Written once and never changed: a completed sale is immutable, a refund is a new document.
import { asc, eq, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { approvalSchema, flagsSchema, type SaleDocument } from '../../src/protocol/mutations.ts';
import { payments, saleLines, sales, stockMovements } from '../../src/schema/sqlite.ts';
import { preparedInsert } from './prepared.ts';

/** A sale or refund as the cashier API answers it: the wire document without its stock movements. */
export type SaleView = Omit<SaleDocument, 'stockMovements'>;

/** A stock ledger entry a sale (−) or refund (+) writes for each catalog line. */
export type DocumentStockMovement = SaleDocument['stockMovements'][number];

export interface Documents {
  write(doc: SaleView, movements: readonly DocumentStockMovement[]): void;
  read(id: string): SaleView | undefined;
  kindOf(id: string): { kind: 'sale' | 'refund'; originalSaleId: string | null } | undefined;
}

export function createDocuments(db: BetterSQLite3Database): Documents {
  const insertSale = preparedInsert(db, sales);
  const insertLine = preparedInsert(db, saleLines);
  const insertPayment = preparedInsert(db, payments);
  const insertMovement = preparedInsert(db, stockMovements);
  const id = sql.placeholder('id');
  const saleRow = db.select().from(sales).where(eq(sales.id, id)).prepare();
  const lineRows = db
    .select()
    .from(saleLines)
    .where(eq(saleLines.saleId, id))
    .orderBy(asc(saleLines.lineNo))
    .prepare();
  const paymentRows = db
    .select()
    .from(payments)
    .where(eq(payments.saleId, id))
    .orderBy(asc(payments.paymentNo))
    .prepare();
  const kindRow = db
    .select({ kind: sales.kind, originalSaleId: sales.originalSaleId })
    .from(sales)
    .where(eq(sales.id, id))
    .prepare();

  return {
    write(doc, movements) {
      insertSale.run({
        id: doc.id,
        receiptNo: doc.receiptNo,
        kind: doc.kind,
        originalSaleId: doc.originalSaleId,
        branchCode: doc.branch,
        terminal: doc.terminal,
        deviceId: null,
        shiftId: doc.shiftId,
        cashier: doc.cashier,
        cashierUserId: doc.cashierUserId,
        customerId: doc.customerId,
        currency: doc.currency,
        subtotalMinor: doc.subtotalMinor,
        discountMinor: doc.discountMinor,
        taxMinor: doc.taxMinor,
        totalMinor: doc.totalMinor,
        changeMinor: doc.changeMinor,
        occurredAt: doc.occurredAt,
        businessDate: doc.businessDate,
        reason: doc.reason,
        flags: JSON.stringify(doc.flags),
        receivedAt: null,
        approvedByUserId: doc.approval?.approverUserId ?? null,
        approvedAt: doc.approval?.approvedAt ?? null,
        approvalReasons: doc.approval ? JSON.stringify(doc.approval.reasons) : null,
      });
      // Lines and payments carry the document's date, kind and branch (tenant migration 0006).
      const copied = { businessDate: doc.businessDate, kind: doc.kind, branchCode: doc.branch };
      for (const line of doc.lines) {
        insertLine.run({ ...line, ...copied, saleId: doc.id, flags: JSON.stringify(line.flags) });
      }
      doc.payments.forEach((p, i) => {
        insertPayment.run({ ...p, ...copied, saleId: doc.id, paymentNo: i + 1 });
      });
      for (const m of movements) {
        insertMovement.run({
          ...m,
          branchCode: doc.branch,
          reason: doc.kind,
          occurredAt: doc.occurredAt,
          sourceId: doc.id,
        });
      }
    },

    read(saleId) {
      const row = saleRow.get({ id: saleId });
      if (!row) return undefined;
      return {
        id: row.id,
        kind: row.kind,
        receiptNo: row.receiptNo,
        originalSaleId: row.originalSaleId,
        branch: row.branchCode,
        terminal: row.terminal,
        shiftId: row.shiftId,
        cashier: row.cashier,
        cashierUserId: row.cashierUserId,
        customerId: row.customerId,
        currency: row.currency,
        subtotalMinor: row.subtotalMinor,
        discountMinor: row.discountMinor,
        taxMinor: row.taxMinor,
        totalMinor: row.totalMinor,
        changeMinor: row.changeMinor,
        occurredAt: row.occurredAt,
        businessDate: row.businessDate,
        reason: row.reason,
        flags: flagsSchema.parse(JSON.parse(row.flags)),
        lines: lineRows.all({ id: saleId }).map((l) => ({
          lineNo: l.lineNo,
          productId: l.productId,
          name: l.name,
          qtyMilli: l.qtyMilli,
          unitPriceMinor: l.unitPriceMinor,
          amountMinor: l.amountMinor,
          discountMinor: l.discountMinor,
          taxRateBp: l.taxRateBp,
          taxInclusive: l.taxInclusive,
          taxMinor: l.taxMinor,
          totalMinor: l.totalMinor,
          flags: flagsSchema.parse(JSON.parse(l.flags)),
          originalLineNo: l.originalLineNo,
        })),
        payments: paymentRows.all({ id: saleId }).map((p) => ({
          method: p.method,
          amountMinor: p.amountMinor,
          tenderedMinor: p.tenderedMinor,
          changeMinor: p.changeMinor,
          reference: p.reference,
        })),
        // Only an approved document carries `approval` (documents before approvals existed never do).
        ...(row.approvedByUserId === null
          ? {}
          : {
              approval: approvalSchema.parse({
                approverUserId: row.approvedByUserId,
                approvedAt: row.approvedAt,
                reasons: JSON.parse(row.approvalReasons ?? '[]'),
              }),
            }),
      };
    },

    kindOf: (saleId) => kindRow.get({ id: saleId }),
  };
}
