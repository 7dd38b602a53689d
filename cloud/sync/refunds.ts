// Checking pushed refunds against their originals, whichever device recorded them: the original must
// be a sale the tenant holds, each refunded line must exist on it, the quantity refunded over every
// refund must stay within what was sold, and each line's share is recomputed (src/domain/refund.ts).
// A refund whose original has not arrived yet is held (`awaiting_original`), never refused.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { SaleLine } from '../../src/domain/sale.ts';
import type { SaleDocument } from '../../src/protocol/mutations.ts';
import { checkRefundShares } from './arithmetic.ts';
import type { Rejection } from './validate.ts';

interface Original {
  kind: string;
  lines: SaleLine[];
  /** Quantity refunded so far per original line number, over every stored refund (and earlier ones of this batch). */
  refunded: Map<number, number>;
}

interface LineRow {
  sale_id: string;
  line_no: number;
  product_id: string | null;
  name: string;
  qty_milli: unknown;
  unit_price_minor: unknown;
  amount_minor: unknown;
  discount_minor: unknown;
  tax_rate_bp: number;
  tax_inclusive: boolean | number;
  tax_minor: unknown;
  total_minor: unknown;
}

const saleLine = (r: LineRow): SaleLine => ({
  lineNo: Number(r.line_no),
  productId: r.product_id,
  name: r.name,
  qtyMilli: Number(r.qty_milli),
  unitPriceMinor: Number(r.unit_price_minor),
  amountMinor: Number(r.amount_minor),
  discountMinor: Number(r.discount_minor),
  taxRateBp: Number(r.tax_rate_bp),
  taxInclusive: Boolean(r.tax_inclusive),
  taxMinor: Number(r.tax_minor),
  totalMinor: Number(r.total_minor),
  flags: [],
});

/** The originals named by `refunds`, with their lines and what was refunded of each line so far. */
async function loadOriginals(tx: SqlQueryable, ids: readonly string[]): Promise<Map<string, Original>> {
  const originals = new Map<string, Original>();
  if (ids.length === 0) return originals;
  const sales = await tx.query<{ id: string; kind: string }>(
    'SELECT id, kind FROM sales WHERE id = ANY($1::text[])',
    [ids],
  );
  for (const s of sales) originals.set(s.id, { kind: s.kind, lines: [], refunded: new Map() });
  const lines = await tx.query<LineRow>(
    `SELECT sale_id, line_no, product_id, name, qty_milli, unit_price_minor, amount_minor, discount_minor,
            tax_rate_bp, tax_inclusive, tax_minor, total_minor
       FROM sale_lines WHERE sale_id = ANY($1::text[]) ORDER BY sale_id, line_no`,
    [ids],
  );
  for (const l of lines) originals.get(l.sale_id)?.lines.push(saleLine(l));
  const refunded = await tx.query<{ sale_id: string; line_no: number; qty: unknown }>(
    `SELECT s.original_sale_id AS sale_id, l.original_line_no AS line_no, sum(l.qty_milli) AS qty
       FROM sales s JOIN sale_lines l ON l.sale_id = s.id
      WHERE s.original_sale_id = ANY($1::text[]) AND l.original_line_no IS NOT NULL
      GROUP BY s.original_sale_id, l.original_line_no`,
    [ids],
  );
  for (const r of refunded) originals.get(r.sale_id)?.refunded.set(Number(r.line_no), Number(r.qty));
  return originals;
}

/**
 * Each refund's verdict, in order: undefined to store it, or why not (`awaiting_original` holds it).
 * Refunds of one original in the same batch count each other's quantities, in seq order.
 */
export async function checkRefunds(
  tx: SqlQueryable,
  refunds: readonly { doc: SaleDocument }[],
): Promise<(Rejection | undefined)[]> {
  const ids = [...new Set(refunds.flatMap((m) => (m.doc.originalSaleId ? [m.doc.originalSaleId] : [])))];
  const originals = await loadOriginals(tx, ids);
  return refunds.map(({ doc }) => {
    const id = doc.originalSaleId ?? '';
    const original = originals.get(id);
    if (!original) {
      return {
        code: 'awaiting_original',
        reason: `sale ${id} has not reached the cloud yet; the refund is held until it does`,
      };
    }
    if (original.kind !== 'sale') {
      return { code: 'refund_of_refund', reason: `${id} is a refund; only a sale can be refunded` };
    }
    const rejection = checkRefundShares(doc, original.lines, original.refunded);
    if (!rejection) {
      for (const l of doc.lines) {
        const lineNo = l.originalLineNo ?? 0;
        original.refunded.set(lineNo, (original.refunded.get(lineNo) ?? 0) + l.qtyMilli);
      }
    }
    return rejection;
  });
}
