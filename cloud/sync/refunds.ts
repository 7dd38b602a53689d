// Checking pushed refunds against their originals, whichever device recorded them: the original must
// be a sale the tenant holds, each refunded line must exist on it, the quantity refunded must stay
// within what the recording till could see was left, and each line's share is recomputed
// (src/domain/refund.ts). Refunds beyond what was sold that the till could not see (other tills
// refunding offline) are stored and flagged `refund_exceeds_sold`. A refund whose original has not
// arrived yet is held (`awaiting_original`), never refused.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { SaleLine } from '../../src/domain/sale.ts';
import type { SaleDocument } from '../../src/protocol/mutations.ts';
import { checkRefundShares } from './arithmetic.ts';
import type { Rejection } from './validate.ts';

/** A refund's quantity per original line, and which device recorded it under which seq. */
interface PastRefund {
  deviceId: string | null;
  /** Null for refunds stored before the cloud kept seqs. */
  seq: number | null;
  /** Whether the cloud stores it (a quarantined one counts only for the device that recorded it). */
  stored: boolean;
  qty: Map<number, number>;
}

interface Original {
  kind: string;
  lines: SaleLine[];
  /** Every refund of it the cloud holds, and this device's quarantined ones. */
  refunds: PastRefund[];
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

const lineQuantities = (lines: readonly { originalLineNo: unknown; qtyMilli: unknown }[]) => {
  const qty = new Map<number, number>();
  for (const l of lines) {
    const lineNo = Number(l.originalLineNo);
    const q = Number(l.qtyMilli);
    if (Number.isSafeInteger(lineNo) && Number.isSafeInteger(q)) qty.set(lineNo, (qty.get(lineNo) ?? 0) + q);
  }
  return qty;
};

/**
 * The originals named by refunds of `deviceId`, locked (two refunds of one sale are checked one
 * after the other, whichever devices push them), with their lines and past refunds: every stored
 * one, and the device's own refunds of them still in the quarantine.
 */
async function loadOriginals(
  tx: SqlQueryable,
  ids: readonly string[],
  deviceId: string,
): Promise<Map<string, Original>> {
  const originals = new Map<string, Original>();
  if (ids.length === 0) return originals;
  const sales = await tx.query<{ id: string; kind: string }>(
    'SELECT id, kind FROM sales WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE',
    [ids],
  );
  for (const s of sales) originals.set(s.id, { kind: s.kind, lines: [], refunds: [] });
  const lines = await tx.query<LineRow>(
    `SELECT sale_id, line_no, product_id, name, qty_milli, unit_price_minor, amount_minor, discount_minor,
            tax_rate_bp, tax_inclusive, tax_minor, total_minor
       FROM sale_lines WHERE sale_id = ANY($1::text[]) ORDER BY sale_id, line_no`,
    [ids],
  );
  for (const l of lines) originals.get(l.sale_id)?.lines.push(saleLine(l));
  const stored = await tx.query<{
    id: string;
    sale_id: string;
    device_id: string | null;
    seq: unknown;
    line_no: unknown;
    qty: unknown;
  }>(
    `SELECT s.id, s.original_sale_id AS sale_id, s.device_id, s.device_seq AS seq,
            l.original_line_no AS line_no, l.qty_milli AS qty
       FROM sales s JOIN sale_lines l ON l.sale_id = s.id
      WHERE s.original_sale_id = ANY($1::text[]) AND l.original_line_no IS NOT NULL
      ORDER BY s.id`,
    [ids],
  );
  const byRefund = new Map<string, { saleId: string; past: PastRefund }>();
  for (const r of stored) {
    let entry = byRefund.get(r.id);
    if (!entry) {
      const seq = r.seq === null ? null : Number(r.seq);
      entry = { saleId: r.sale_id, past: { deviceId: r.device_id, seq, stored: true, qty: new Map() } };
      byRefund.set(r.id, entry);
    }
    const lineNo = Number(r.line_no);
    entry.past.qty.set(lineNo, (entry.past.qty.get(lineNo) ?? 0) + Number(r.qty));
  }
  for (const { saleId, past } of byRefund.values()) originals.get(saleId)?.refunds.push(past);
  const quarantined = await tx.query<{ seq: unknown; original_sale_id: string; payload: string }>(
    `SELECT seq, original_sale_id, payload FROM sync_quarantine
      WHERE device_id = $1 AND original_sale_id = ANY($2::text[]) AND resolved_at IS NULL AND kind = 'refund'`,
    [deviceId, ids],
  );
  for (const q of quarantined) {
    const lines = (JSON.parse(q.payload) as { lines?: unknown } | null)?.lines;
    if (!Array.isArray(lines)) continue;
    originals.get(q.original_sale_id)?.refunds.push({
      deviceId,
      seq: Number(q.seq),
      stored: false,
      qty: lineQuantities(lines as { originalLineNo: unknown; qtyMilli: unknown }[]),
    });
  }
  return originals;
}

const addUp = (refunds: readonly PastRefund[]) => {
  const total = new Map<number, number>();
  for (const r of refunds) for (const [line, q] of r.qty) total.set(line, (total.get(line) ?? 0) + q);
  return total;
};

/** A refund's verdict: why it is refused (or held), or the original lines it takes beyond what was sold. */
export type RefundVerdict =
  | { rejection: Rejection }
  | { rejection?: undefined; exceeds: ReadonlySet<number> };

/**
 * Each refund's verdict, in order: refused (or held, `awaiting_original`), or stored with the lines
 * that, counting every till's refunds the cloud stores, take back more than was sold.
 *
 * What the recording till knew is held against it: the shares are recomputed, and the quantity kept
 * within what was sold, against its own earlier refunds of the sale (by seq), stored or still in the
 * quarantine, plus what it says other tills had refunded (`refundedElsewhere`, from the copy the
 * cloud gave it); so an earlier refund of its that was quarantined, or a later one stored first,
 * never makes an honest refund look wrong, and a till refunding beyond what it could see is
 * quarantined `refund_exceeds_sold`. What it could not see is accepted and flagged: other tills'
 * refunds given while they were offline too, since the money has already left the drawer.
 */
export async function checkRefunds(
  tx: SqlQueryable,
  refunds: readonly { seq: number; doc: SaleDocument }[],
  deviceId: string,
): Promise<RefundVerdict[]> {
  const ids = [...new Set(refunds.flatMap((m) => (m.doc.originalSaleId ? [m.doc.originalSaleId] : [])))];
  const originals = await loadOriginals(tx, ids, deviceId);
  return refunds.map(({ seq, doc }): RefundVerdict => {
    const id = doc.originalSaleId ?? '';
    const original = originals.get(id);
    if (!original) {
      return {
        rejection: {
          code: 'awaiting_original',
          reason: `sale ${id} has not reached the cloud yet; the refund is held until it does`,
        },
      };
    }
    if (original.kind !== 'sale') {
      return {
        rejection: { code: 'refund_of_refund', reason: `${id} is a refund; only a sale can be refunded` },
      };
    }
    const qty = lineQuantities(doc.lines);
    const known = addUp(
      original.refunds.filter((r) => r.deviceId === deviceId && (r.seq === null || r.seq < seq)),
    );
    for (const e of doc.refundedElsewhere ?? []) known.set(e.lineNo, (known.get(e.lineNo) ?? 0) + e.qtyMilli);
    const rejection = checkRefundShares(doc, original.lines, known);
    const everything = addUp(original.refunds.filter((r) => r.stored));
    // Later refunds of this batch count this one whatever becomes of it: the till knew it.
    original.refunds.push({ deviceId, seq, stored: rejection === undefined, qty });
    if (rejection) return { rejection };
    const exceeds = new Set<number>();
    for (const [lineNo, q] of qty) {
      const sold = original.lines.find((l) => l.lineNo === lineNo)?.qtyMilli ?? 0;
      if ((everything.get(lineNo) ?? 0) + q > sold) exceeds.add(lineNo);
    }
    return { exceeds };
  });
}

/** The refund flagged `refund_exceeds_sold`, on the document and on each line over what was sold. */
export function flagExcess(doc: SaleDocument, exceeds: ReadonlySet<number>): SaleDocument {
  if (exceeds.size === 0) return doc;
  const add = (flags: SaleDocument['flags']) =>
    flags.includes('refund_exceeds_sold') ? flags : [...flags, 'refund_exceeds_sold' as const];
  return {
    ...doc,
    flags: add(doc.flags),
    lines: doc.lines.map((l) =>
      l.originalLineNo !== null && exceeds.has(l.originalLineNo) ? { ...l, flags: add(l.flags) } : l,
    ),
  };
}
