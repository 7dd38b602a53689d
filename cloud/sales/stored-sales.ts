// The tenant's stored sales and refunds read back as documents, for a batch of ids at once: the
// sale's row, its lines and its payments, each exactly as the rows say now (an edited row reads
// edited, a document whose rows are gone is absent). Two readers share it: the journal rebuilds the
// document a link covers (cloud/journal/stored-documents.ts), and a device fetching another till's
// sale to refund it gets it (cloud/sync/device-sale.ts).
import { groupBy, num, numOrNull, type Row, str, strOrNull } from '../../src/db/rows.ts';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { flagsSchema, type SaleDocument } from '../../src/protocol/mutations.ts';

type Approval = NonNullable<SaleDocument['approval']>;

/** A stored sale or refund: the wire document without what only a push carries. */
export type StoredSale = Omit<
  SaleDocument,
  'stockMovements' | 'refundedElsewhere' | 'journal' | 'approval'
> & {
  /** The approval columns; null when the document needed none. */
  approval: Approval | null;
};

/** Stored flags; a column that no longer parses reads as none. */
const flags = (json: unknown): SaleDocument['flags'] => {
  try {
    return flagsSchema.catch([]).parse(JSON.parse(String(json)));
  } catch {
    return [];
  }
};

/** The approval columns as the wire's approval; reasons that are not a JSON array stay as text (and then no longer hash). */
function approval(s: Row): Approval | null {
  if (s.approved_by_user_id === null || s.approved_by_user_id === undefined) return null;
  let reasons: unknown;
  try {
    reasons = JSON.parse(String(s.approval_reasons));
  } catch {
    reasons = [String(s.approval_reasons)];
  }
  return {
    approverUserId: str(s.approved_by_user_id),
    approvedAt: str(s.approved_at),
    reasons: (Array.isArray(reasons) ? reasons : [String(reasons)]) as Approval['reasons'],
  };
}

/** The stored sales and refunds among `ids`, by id (three queries, whatever the number of ids). */
export async function readStoredSales(
  db: SqlQueryable,
  ids: readonly string[],
): Promise<Map<string, StoredSale>> {
  const out = new Map<string, StoredSale>();
  if (ids.length === 0) return out;
  const rows = await db.query<Row>(
    `SELECT id, kind, receipt_no, original_sale_id, branch_code, terminal, shift_id, cashier,
            cashier_user_id, customer_id, currency, subtotal_minor, discount_minor, tax_minor,
            total_minor, change_minor, occurred_at, to_char(business_date, 'YYYY-MM-DD') AS business_date,
            reason, flags, approved_by_user_id, approved_at, approval_reasons
       FROM sales WHERE id = ANY($1::text[])`,
    [ids],
  );
  if (rows.length === 0) return out;
  const lines = groupBy(
    await db.query<Row>(
      `SELECT sale_id, line_no, product_id, name, qty_milli, unit_price_minor, amount_minor, discount_minor,
              tax_rate_bp, tax_inclusive, tax_minor, total_minor, original_line_no, flags
         FROM sale_lines WHERE sale_id = ANY($1::text[]) ORDER BY sale_id, line_no`,
      [ids],
    ),
    'sale_id',
  );
  const payments = groupBy(
    await db.query<Row>(
      `SELECT sale_id, method, amount_minor, tendered_minor, change_minor, reference
         FROM payments WHERE sale_id = ANY($1::text[]) ORDER BY sale_id, payment_no`,
      [ids],
    ),
    'sale_id',
  );
  for (const s of rows) {
    const id = str(s.id);
    out.set(id, {
      id,
      kind: s.kind as StoredSale['kind'],
      receiptNo: str(s.receipt_no),
      originalSaleId: strOrNull(s.original_sale_id),
      branch: str(s.branch_code),
      terminal: str(s.terminal),
      shiftId: strOrNull(s.shift_id),
      cashier: strOrNull(s.cashier),
      cashierUserId: strOrNull(s.cashier_user_id),
      customerId: strOrNull(s.customer_id),
      currency: str(s.currency),
      subtotalMinor: num(s.subtotal_minor),
      discountMinor: num(s.discount_minor),
      taxMinor: num(s.tax_minor),
      totalMinor: num(s.total_minor),
      changeMinor: num(s.change_minor),
      occurredAt: str(s.occurred_at),
      businessDate: str(s.business_date),
      reason: strOrNull(s.reason),
      flags: flags(s.flags),
      approval: approval(s),
      lines: (lines.get(id) ?? []).map((l) => ({
        lineNo: num(l.line_no),
        productId: strOrNull(l.product_id),
        name: str(l.name),
        qtyMilli: num(l.qty_milli),
        unitPriceMinor: num(l.unit_price_minor),
        amountMinor: num(l.amount_minor),
        discountMinor: num(l.discount_minor),
        taxRateBp: num(l.tax_rate_bp),
        taxInclusive: Boolean(l.tax_inclusive),
        taxMinor: num(l.tax_minor),
        totalMinor: num(l.total_minor),
        originalLineNo: numOrNull(l.original_line_no),
        flags: flags(l.flags),
      })),
      payments: (payments.get(id) ?? []).map((p) => ({
        method: p.method as StoredSale['payments'][number]['method'],
        amountMinor: num(p.amount_minor),
        tenderedMinor: num(p.tendered_minor),
        changeMinor: num(p.change_minor),
        reference: strOrNull(p.reference),
      })),
    });
  }
  return out;
}
