// On hand follows occurredAt, not arrival. Rows of a branch and product are taken in (occurred_at,
// branch_seq) order (rows of one instant in the order they reached the ledger): a movement adds its delta, a count sets on hand to what it found (its delta is what it
// corrected, recomputed here whenever an earlier movement arrives late), and a sale is flagged
// `stock_below_zero` when its movement leaves on hand below zero at that point. So tills that push
// out of order end with the same on hand and the same flags as if they had pushed in order.
import type { SqlQueryable } from '../../src/db/sql.ts';

const FLAG = 'stock_below_zero';

/** A ledger row just inserted, with its place in its branch's ledger (stock_movements.branch_seq). */
export interface NewRow {
  id: string;
  branch: string;
  productId: string;
  deltaQtyMilli: number;
  reason: string;
  occurredAt: string;
  sourceId: string | null;
  countedQtyMilli: number | null;
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

/**
 * Per branch and product a batch touches, what stood before its rows went in (read under the
 * branch's ledger lock, so nobody else writes it until the batch commits): on hand, whether the rows
 * all come after everything it has summed, and whether its latest instant is known (0014).
 */
export type Standing = ReadonlyMap<string, { qty: number; inOrder: boolean; known: boolean }>;

const keyOf = (branch: string, product: string) => `${branch}\u0000${product}`;
/** JavaScript reads an instant to the millisecond (truncating); Postgres keeps microseconds (rounding). */
const finerThanMs = (at: string) => /\.\d{4}/.test(at);
/** A new row with what ordering it needs, worked out once (timed): its branch and product, its instant in ms. */
export interface Timed {
  r: NewRow;
  key: string;
  ms: number;
}
export const timed = (rows: readonly NewRow[]): Timed[] =>
  rows.map((r) => ({ r, key: keyOf(r.branch, r.productId), ms: Date.parse(r.occurredAt) }));
const before = (a: Timed, b: Timed) => a.ms - b.ms || a.r.place - b.r.place;

/** Each branch and product's first row (by `before`), and whether any of its rows is finer than a millisecond. */
function firstRows(rows: readonly Timed[]): { first: NewRow; key: string; fine: boolean }[] {
  const firsts = new Map<string, { first: Timed; fine: boolean }>();
  for (const t of rows) {
    const seen = firsts.get(t.key);
    const fine = (seen?.fine ?? false) || finerThanMs(t.r.occurredAt);
    firsts.set(t.key, { first: !seen || before(t, seen.first) < 0 ? t : seen.first, fine });
  }
  return [...firsts].map(([key, f]) => ({ first: f.first.r, key, fine: f.fine }));
}

/**
 * Reads, before `rows` go in, on hand per branch and product they touch and whether every one of
 * them comes after all it has summed (tenant migration 0014): they do when the earliest is at or
 * after the latest instant summed, since a new row's place is its branch's highest. Then the rows
 * alone settle it. Rows finer than a millisecond are never taken as in order here (JavaScript would
 * order them differently from Postgres), so they are walked.
 */
export async function readStanding(tx: SqlQueryable, rows: readonly Timed[]): Promise<Standing> {
  const firsts = firstRows(rows);
  if (firsts.length === 0) return new Map();
  const found = await tx.query<{
    branch: string;
    product: string;
    qty: unknown;
    in_order: boolean | null;
    known: boolean;
  }>(
    `SELECT k.branch, k.product, h.qty_milli AS qty,
            (h.branch_code IS NULL OR k.at >= h.max_occurred_at) AS in_order,
            (h.branch_code IS NULL OR h.max_occurred_at IS NOT NULL) AS known
       FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(branch, product, at)
       LEFT JOIN stock_on_hand h ON h.branch_code = k.branch AND h.product_id = k.product`,
    [
      firsts.map((f) => f.first.branch),
      firsts.map((f) => f.first.productId),
      firsts.map((f) => f.first.occurredAt),
    ],
  );
  const fine = new Set(firsts.filter((f) => f.fine).map((f) => f.key));
  return new Map(
    found.map((r) => {
      const key = keyOf(r.branch, r.product);
      const inOrder = r.in_order === true && !fine.has(key);
      return [key, { qty: Number(r.qty ?? 0), inOrder, known: r.known === true }];
    }),
  );
}

/**
 * Settles every branch and product that `rows` (just inserted) touch, from the earliest of them on:
 * fixes the deltas of counts and on hand, and sets or clears the stock flag of each sale met. Where
 * `standing` (read before the insert) says the rows all came after what on hand had summed (the usual
 * case), they are walked from what stood before them; elsewhere the ledger is read from the earliest
 * of them on. In the usual case nothing changes.
 */
export async function settleStock(
  tx: SqlQueryable,
  rows: readonly Timed[],
  standing: Standing,
  written?: WrittenFlags,
): Promise<void> {
  const inOrder: Timed[] = [];
  const late: Timed[] = [];
  for (const t of rows) (standing.get(t.key)?.inOrder === true ? inOrder : late).push(t);
  inOrder.sort(before);
  /** Per branch and product: on hand just before the first row walked, and on hand as the table holds it now. */
  const start = new Map<string, number>();
  const stored = new Map<string, number>();
  const walked: (WalkRow & { key: string })[] = inOrder.map(({ r, key }) => ({
    key,
    branch: r.branch,
    product: r.productId,
    id: r.id,
    delta: r.deltaQtyMilli,
    reason: r.reason,
    counted: r.countedQtyMilli,
    source: r.sourceId,
  }));
  for (const w of walked) {
    if (!start.has(w.key)) start.set(w.key, standing.get(w.key)!.qty);
    stored.set(w.key, (stored.get(w.key) ?? start.get(w.key)!) + w.delta);
  }
  if (late.length > 0) {
    const fromLedger = await walkLedger(tx, late, start, stored);
    walked.push(...fromLedger.map((w) => ({ ...w, key: keyOf(w.branch, w.product) })));
    await learnLatest(
      tx,
      late.filter((t) => standing.get(t.key)?.known === false),
    );
  }
  const counts: { id: string; delta: number }[] = [];
  const running = new Map(start);
  /** Per sale, per product: whether one of its movements left on hand below zero. */
  const below = new Map<string, Map<string, boolean>>();
  for (const w of walked) {
    const key = w.key;
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
  const moved = [...running].filter(([key, qty]) => (stored.get(key) ?? 0) !== qty);
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

/**
 * Fills in on hand's latest instant where it was not known (rows from before tenant migration 0014),
 * from the ledger, under the branch's ledger lock: from then on those products take the fast path.
 */
async function learnLatest(tx: SqlQueryable, rows: readonly Timed[]): Promise<void> {
  const keys = [...new Map(rows.map((t) => [t.key, t.r])).values()];
  if (keys.length === 0) return;
  await tx.query(
    `UPDATE stock_on_hand h
        SET max_occurred_at = (SELECT max(m.occurred_at) FROM stock_movements m
                                WHERE m.branch_code = h.branch_code AND m.product_id = h.product_id)
       FROM unnest($1::text[], $2::text[]) AS k(branch, product)
      WHERE h.branch_code = k.branch AND h.product_id = k.product AND h.max_occurred_at IS NULL`,
    [keys.map((r) => r.branch), keys.map((r) => r.productId)],
  );
}

/**
 * Reads the ledger of the branches and products `rows` touch from the earliest of them on, in
 * (occurred_at, branch_seq) order, and on hand as the table holds it now; fills in `start` (on hand
 * before the first row read) and `stored`. A first row finer than a millisecond is walked from the
 * start of its millisecond, so Postgres' order (to the microsecond) decides what comes after it.
 */
async function walkLedger(
  tx: SqlQueryable,
  rows: readonly Timed[],
  start: Map<string, number>,
  stored: Map<string, number>,
): Promise<WalkRow[]> {
  const firsts = firstRows(rows);
  const params = [
    firsts.map((f) => f.first.branch),
    firsts.map((f) => f.first.productId),
    firsts.map((f) => (f.fine ? new Date(Date.parse(f.first.occurredAt)).toISOString() : f.first.occurredAt)),
    firsts.map((f) => (f.fine ? 0 : f.first.place)),
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
  // What came at or after each first row, summed, is taken off on hand: what stood before it.
  const after = new Map<string, number>();
  for (const w of walked)
    after.set(keyOf(w.branch, w.product), (after.get(keyOf(w.branch, w.product)) ?? 0) + Number(w.delta));
  for (const t of totals) {
    const key = keyOf(t.branch, t.product);
    stored.set(key, Number(t.qty));
    start.set(key, Number(t.qty) - (after.get(key) ?? 0));
  }
  return walked;
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
