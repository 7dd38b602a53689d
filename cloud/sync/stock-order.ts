// On hand follows occurredAt, not arrival. Rows of a branch and product are taken in (occurred_at,
// branch_seq) order (rows of one instant in the order they reached the ledger): a movement adds its delta, a count sets on hand to what it found (its delta is what it
// corrected, recomputed here whenever an earlier movement arrives late), and a sale is flagged
// `stock_below_zero` when its movement leaves on hand below zero at that point. So tills that push
// out of order end with the same on hand and the same flags as if they had pushed in order.
import type { SqlQueryable } from '../../src/db/sql.ts';

const FLAG = 'stock_below_zero';

interface NewRow {
  branch: string;
  productId: string;
  occurredAt: string;
  /** The row's place in its branch's ledger (stock_movements.branch_seq). */
  place: number;
}

interface WalkRow {
  branch: string;
  product: string;
  id: string;
  delta: number;
  reason: string;
  counted: number | null;
  source: string | null;
}

/** Per sale just written: per product, whether its lines carry the stock flag as written. */
export type WrittenFlags = ReadonlyMap<string, ReadonlyMap<string, boolean>>;

const keyOf = (branch: string, product: string) => `${branch}\u0000${product}`;
const before = (a: NewRow, b: NewRow) =>
  Date.parse(a.occurredAt) - Date.parse(b.occurredAt) || a.place - b.place;

/**
 * Walks every branch and product that `rows` (just inserted) touch, from the earliest of them on:
 * fixes the deltas of counts and on hand, and sets or clears the stock flag of each sale met. In the
 * usual case (rows arrive in time order) the walk reads only the new rows and changes nothing.
 */
export async function settleStock(
  tx: SqlQueryable,
  rows: readonly NewRow[],
  written?: WrittenFlags,
): Promise<void> {
  const earliest = new Map<string, NewRow>();
  for (const r of rows) {
    const key = keyOf(r.branch, r.productId);
    const seen = earliest.get(key);
    if (!seen || before(r, seen) < 0) earliest.set(key, r);
  }
  if (earliest.size === 0) return;
  const starts = [...earliest.values()];
  const params = [
    starts.map((s) => s.branch),
    starts.map((s) => s.productId),
    starts.map((s) => s.occurredAt),
    starts.map((s) => s.place),
  ];
  const walked = await tx.query<WalkRow>(
    `SELECT m.branch_code AS branch, m.product_id AS product, m.id, m.delta_qty_milli AS delta, m.reason,
            m.counted_qty_milli AS counted, m.source_id AS source
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::int8[]) AS k(branch, product, at, place)
       JOIN stock_movements m ON m.branch_code = k.branch AND m.product_id = k.product
        AND (m.occurred_at, m.branch_seq) >= (k.at, k.place)
      ORDER BY m.branch_code, m.product_id, m.occurred_at, m.branch_seq`,
    params,
  );
  const totals = await tx.query<{ branch: string; product: string; qty: number }>(
    `SELECT h.branch_code AS branch, h.product_id AS product, h.qty_milli AS qty
       FROM unnest($1::text[], $2::text[]) AS k(branch, product)
       JOIN stock_on_hand h ON h.branch_code = k.branch AND h.product_id = k.product`,
    params.slice(0, 2),
  );
  const onHand = new Map(totals.map((t) => [keyOf(t.branch, t.product), Number(t.qty)]));
  // What came at or after each start, summed, is taken off on hand: what stood before it.
  const after = new Map<string, number>();
  for (const w of walked)
    after.set(keyOf(w.branch, w.product), (after.get(keyOf(w.branch, w.product)) ?? 0) + Number(w.delta));
  const running = new Map<string, number>();
  for (const [key, qty] of onHand) running.set(key, qty - (after.get(key) ?? 0));
  const counts: { id: string; delta: number }[] = [];
  /** Per sale, per product: whether one of its movements left on hand below zero. */
  const below = new Map<string, Map<string, boolean>>();
  for (const w of walked) {
    const key = keyOf(w.branch, w.product);
    const now = running.get(key) ?? 0;
    if (w.reason === 'count' && w.counted !== null) {
      const delta = Number(w.counted) - now;
      if (delta !== Number(w.delta)) counts.push({ id: w.id, delta });
      running.set(key, Number(w.counted));
      continue;
    }
    const next = now + Number(w.delta);
    running.set(key, next);
    if (w.reason === 'sale' && w.source !== null && Number(w.delta) < 0) {
      const products = below.get(w.source) ?? new Map<string, boolean>();
      products.set(w.product, (products.get(w.product) ?? false) || next < 0);
      below.set(w.source, products);
    }
  }
  if (counts.length > 0) {
    await tx.query(
      `UPDATE stock_movements m SET delta_qty_milli = c.delta
         FROM unnest($1::text[], $2::int8[]) AS c(id, delta) WHERE m.id = c.id`,
      [counts.map((c) => c.id), counts.map((c) => c.delta)],
    );
  }
  const moved = [...running].filter(([key, qty]) => (onHand.get(key) ?? 0) !== qty);
  if (moved.length > 0) {
    const keys = moved.map(([key]) => key.split('\u0000') as [string, string]);
    await tx.query(
      `UPDATE stock_on_hand h SET qty_milli = u.qty
         FROM unnest($1::text[], $2::text[], $3::int8[]) AS u(branch, product, qty)
        WHERE h.branch_code = u.branch AND h.product_id = u.product`,
      [keys.map((k) => k[0]), keys.map((k) => k[1]), moved.map(([, qty]) => qty)],
    );
  }
  // Sales just written with the flags the walk wants need no second look (the usual case).
  for (const [sale, products] of below) {
    const known = written?.get(sale);
    if (known && [...products].every(([product, want]) => known.get(product) === want)) below.delete(sale);
  }
  await reflag(tx, below);
}

/** Sets or clears `stock_below_zero` on the lines (by product) and documents the walk met, where it changed. */
async function reflag(
  tx: SqlQueryable,
  below: ReadonlyMap<string, ReadonlyMap<string, boolean>>,
): Promise<void> {
  if (below.size === 0) return;
  const ids = [...below.keys()];
  const lines = await tx.query<{
    sale_id: string;
    line_no: number;
    product_id: string | null;
    flags: string;
  }>('SELECT sale_id, line_no, product_id, flags FROM sale_lines WHERE sale_id = ANY($1::text[])', [ids]);
  const docs = await tx.query<{ id: string; flags: string }>(
    'SELECT id, flags FROM sales WHERE id = ANY($1::text[])',
    [ids],
  );
  const lineUpdates: { saleId: string; lineNo: number; flags: string }[] = [];
  const flaggedSales = new Set<string>();
  for (const l of lines) {
    const flags = JSON.parse(l.flags) as string[];
    const want = l.product_id === null ? undefined : below.get(l.sale_id)?.get(l.product_id);
    const has = flags.includes(FLAG);
    const wanted = want ?? has;
    if (wanted) flaggedSales.add(l.sale_id);
    if (want !== undefined && want !== has) {
      const next = want ? [...flags, FLAG] : flags.filter((f) => f !== FLAG);
      lineUpdates.push({ saleId: l.sale_id, lineNo: Number(l.line_no), flags: JSON.stringify(next) });
    }
  }
  const docUpdates = docs.flatMap((d) => {
    const flags = JSON.parse(d.flags) as string[];
    const want = flaggedSales.has(d.id);
    if (want === flags.includes(FLAG)) return [];
    return [{ id: d.id, flags: JSON.stringify(want ? [...flags, FLAG] : flags.filter((f) => f !== FLAG)) }];
  });
  if (lineUpdates.length > 0) {
    await tx.query(
      `UPDATE sale_lines l SET flags = u.flags
         FROM unnest($1::text[], $2::int4[], $3::text[]) AS u(sale_id, line_no, flags)
        WHERE l.sale_id = u.sale_id AND l.line_no = u.line_no`,
      [lineUpdates.map((u) => u.saleId), lineUpdates.map((u) => u.lineNo), lineUpdates.map((u) => u.flags)],
    );
  }
  if (docUpdates.length > 0) {
    await tx.query(
      'UPDATE sales s SET flags = u.flags FROM unnest($1::text[], $2::text[]) AS u(id, flags) WHERE s.id = u.id',
      [docUpdates.map((u) => u.id), docUpdates.map((u) => u.flags)],
    );
  }
}
