// A sale of the tenant as a device fetches it to refund it at another till (protocol 5): the stored
// document, and how much of each line the tenant's other edges have refunded. Refunds recorded by
// the asking edge's own database (the device, or another device bound to it) are left out: that
// edge holds them and counts them itself.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { DeviceSale, OriginalSale } from '../../src/protocol/device-sales.ts';
import { flagsSchema } from '../../src/protocol/mutations.ts';
import { sameEdgeDevices } from './stored-documents.ts';

interface SaleRow {
  id: string;
  kind: 'sale' | 'refund';
  receipt_no: string;
  original_sale_id: string | null;
  branch_code: string;
  terminal: string;
  shift_id: string | null;
  cashier: string | null;
  cashier_user_id: string | null;
  customer_id: string | null;
  currency: string;
  subtotal_minor: unknown;
  discount_minor: unknown;
  tax_minor: unknown;
  total_minor: unknown;
  change_minor: unknown;
  occurred_at: string;
  business_date: string;
  reason: string | null;
  flags: string;
}

interface LineRow {
  line_no: unknown;
  product_id: string | null;
  name: string;
  qty_milli: unknown;
  unit_price_minor: unknown;
  amount_minor: unknown;
  discount_minor: unknown;
  tax_rate_bp: unknown;
  tax_inclusive: boolean | number;
  tax_minor: unknown;
  total_minor: unknown;
  original_line_no: unknown;
  flags: string;
}

interface PaymentRow {
  method: OriginalSale['payments'][number]['method'];
  amount_minor: unknown;
  tendered_minor: unknown;
  change_minor: unknown;
  reference: string | null;
}

const flags = (json: string) => flagsSchema.catch([]).parse(JSON.parse(json));

/**
 * The id of the tenant's document printed with receipt number `receiptNo`, or undefined. Receipt
 * numbers are unique in the tenant (`sales.receipt_no`), whatever branch or terminal printed them.
 */
export async function saleIdOfReceipt(tx: SqlQueryable, receiptNo: string): Promise<string | undefined> {
  const [row] = await tx.query<{ id: string }>('SELECT id FROM sales WHERE receipt_no = $1', [receiptNo]);
  return row?.id;
}

/** The sale `saleId` for the edge of `deviceId`, or undefined when the tenant holds no such document. */
export async function readDeviceSale(
  tx: SqlQueryable,
  deviceId: string,
  saleId: string,
): Promise<DeviceSale | undefined> {
  const [s] = await tx.query<SaleRow>(
    `SELECT id, kind, receipt_no, original_sale_id, branch_code, terminal, shift_id, cashier,
            cashier_user_id, customer_id, currency, subtotal_minor, discount_minor, tax_minor,
            total_minor, change_minor, occurred_at, to_char(business_date, 'YYYY-MM-DD') AS business_date,
            reason, flags
       FROM sales WHERE id = $1`,
    [saleId],
  );
  if (!s) return undefined;
  const lines = await tx.query<LineRow>(
    `SELECT line_no, product_id, name, qty_milli, unit_price_minor, amount_minor, discount_minor,
            tax_rate_bp, tax_inclusive, tax_minor, total_minor, original_line_no, flags
       FROM sale_lines WHERE sale_id = $1 ORDER BY line_no`,
    [saleId],
  );
  const payments = await tx.query<PaymentRow>(
    `SELECT method, amount_minor, tendered_minor, change_minor, reference
       FROM payments WHERE sale_id = $1 ORDER BY payment_no`,
    [saleId],
  );
  const own = [...(await sameEdgeDevices(tx, deviceId))];
  const refunded = await tx.query<{ line_no: unknown; qty: unknown }>(
    `SELECT l.original_line_no AS line_no, sum(l.qty_milli)::int8 AS qty
       FROM sales r JOIN sale_lines l ON l.sale_id = r.id
      WHERE r.original_sale_id = $1 AND r.kind = 'refund' AND l.original_line_no IS NOT NULL
        AND (r.device_id IS NULL OR NOT (r.device_id = ANY($2::text[])))
      GROUP BY l.original_line_no ORDER BY l.original_line_no`,
    [saleId, own],
  );
  const sale: OriginalSale = {
    id: s.id,
    kind: s.kind,
    receiptNo: s.receipt_no,
    originalSaleId: s.original_sale_id,
    branch: s.branch_code,
    terminal: s.terminal,
    shiftId: s.shift_id,
    cashier: s.cashier,
    cashierUserId: s.cashier_user_id,
    customerId: s.customer_id,
    currency: s.currency,
    subtotalMinor: Number(s.subtotal_minor),
    discountMinor: Number(s.discount_minor),
    taxMinor: Number(s.tax_minor),
    totalMinor: Number(s.total_minor),
    changeMinor: Number(s.change_minor),
    occurredAt: String(s.occurred_at),
    businessDate: s.business_date,
    reason: s.reason,
    flags: flags(s.flags),
    lines: lines.map((l) => ({
      lineNo: Number(l.line_no),
      productId: l.product_id,
      name: l.name,
      qtyMilli: Number(l.qty_milli),
      unitPriceMinor: Number(l.unit_price_minor),
      amountMinor: Number(l.amount_minor),
      discountMinor: Number(l.discount_minor),
      taxRateBp: Number(l.tax_rate_bp),
      taxInclusive: Boolean(l.tax_inclusive),
      taxMinor: Number(l.tax_minor),
      totalMinor: Number(l.total_minor),
      flags: flags(l.flags),
      originalLineNo: l.original_line_no === null ? null : Number(l.original_line_no),
    })),
    payments: payments.map((p) => ({
      method: p.method,
      amountMinor: Number(p.amount_minor),
      tenderedMinor: Number(p.tendered_minor),
      changeMinor: Number(p.change_minor),
      reference: p.reference,
    })),
  };
  return {
    sale,
    refundedElsewhere: refunded.map((r) => ({ lineNo: Number(r.line_no), qtyMilli: Number(r.qty) })),
  };
}
