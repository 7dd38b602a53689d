// What a till could not know is flagged, never refused: each catalog line of a pushed sale is held to
// the cloud's catalog as it stood at the sale's occurredAt for its branch, and its cashier to the
// tenant's users. Set-based: three reads per batch, whatever its size, then plain lookups.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { SaleFlag } from '../../src/domain/sale.ts';
import type { SaleDocument } from '../../src/protocol/mutations.ts';

/** A sale or refund about to be written; only sales are held to the catalog. */
interface Pushed {
  kind: 'sale' | 'refund';
  doc: SaleDocument;
}

/** Lines whose price the cashier set: the edge flagged them already, and the catalog price does not apply. */
const PRICED_BY_HAND: readonly SaleFlag[] = ['price_override', 'open_price'];

/**
 * Adds to each sale, and to its lines, what the cloud's catalog says and the till could not know
 * (docs/sync-integrity.md, "Flags"):
 * - `price_changed`: a catalog line's unit price is not the price in force at occurredAt for the
 *   sale's branch (the branch's own price over the default, the latest that had started and that
 *   HQ had written by then). Lines priced by hand keep only their own flag; a line with no price in
 *   force then is not judged.
 * - `inactive_product`: the product is inactive, and it last changed at or before occurredAt, so
 *   it was already inactive when sold. The cloud keeps no history of `active`: a product changed
 *   again after the sale is not flagged (a flag is never raised on a guess).
 * - `unknown_cashier` (on the sale): it names a cashier user id the tenant has no user with, or,
 *   without an id, a cashier that is no user's email.
 * Flags are only ever added: one the edge set stays. Refunds are left alone: their lines are
 * snapshots of their original's, checked in refunds.ts.
 */
export async function flagCatalogChanges<M extends Pushed>(tx: SqlQueryable, docs: M[]): Promise<M[]> {
  const sales = docs.filter((m) => m.kind === 'sale');
  if (sales.length === 0) return docs;
  const catalogLines = sales.flatMap((m) => m.doc.lines.filter((l) => l.productId !== null));
  const productIds = [...new Set(catalogLines.map((l) => l.productId!))];
  const branches = [...new Set(sales.map((m) => m.doc.branch))];
  const history = await priceHistory(tx, productIds, branches);
  const inactive = await inactiveSince(tx, productIds);
  const cashiers = await knownCashiers(tx, sales);
  return docs.map((m) => {
    if (m.kind !== 'sale') return m;
    const at = instantMicros(m.doc.occurredAt);
    const added = new Set<SaleFlag>();
    const lines = m.doc.lines.map((l) => {
      if (l.productId === null) return l;
      const found: SaleFlag[] = [];
      if (!l.flags.some((f) => PRICED_BY_HAND.includes(f))) {
        const price = history.priceAt(l.productId, m.doc.branch, at);
        if (price !== undefined && price !== l.unitPriceMinor) found.push('price_changed');
      }
      const since = inactive.get(l.productId);
      if (since !== undefined && since <= at) found.push('inactive_product');
      const fresh = found.filter((f) => !l.flags.includes(f));
      if (fresh.length === 0) return l;
      for (const f of fresh) added.add(f);
      return { ...l, flags: [...l.flags, ...fresh] };
    });
    if (!cashiers.knows(m.doc)) added.add('unknown_cashier');
    const fresh = [...added].filter((f) => !m.doc.flags.includes(f));
    if (fresh.length === 0 && lines.every((l, i) => l === m.doc.lines[i])) return m;
    return { ...m, doc: { ...m.doc, flags: [...m.doc.flags, ...fresh], lines } };
  });
}

/** An instant as microseconds since the epoch: Postgres' own precision, exact in a number to 2255. */
export function instantMicros(iso: string): number {
  const fraction = /T[^.]*\.(\d+)/.exec(iso)?.[1] ?? '';
  return Date.parse(iso) * 1000 + Number(fraction.slice(3, 6).padEnd(3, '0'));
}

interface PriceRow {
  product: string;
  /** The branch's code, or null for the default price. */
  branch: string | null;
  price: number;
  /** When the price starts, and when HQ wrote it, in microseconds. */
  from_us: number;
  created_us: number;
}

/**
 * Every price of the batch's products that is a default or one of its branches': a product's
 * history is a few rows, so reading it whole is cheaper than one lookup per line (a nightly push
 * is 50,000 sales).
 */
async function priceHistory(tx: SqlQueryable, productIds: string[], branches: string[]) {
  const rows =
    productIds.length === 0
      ? []
      : await tx.query<PriceRow>(
          `SELECT p.product_id AS product, b.code AS branch, p.price_minor AS price,
                  (extract(epoch FROM p.effective_from) * 1000000)::int8 AS from_us,
                  (extract(epoch FROM p.created_at) * 1000000)::int8 AS created_us
             FROM prices p LEFT JOIN branches b ON b.id = p.branch_id
            WHERE p.product_id = ANY($1::text[]) AND (p.branch_id IS NULL OR b.code = ANY($2::text[]))
            ORDER BY p.effective_from DESC`,
          [productIds, branches],
        );
  const byKey = new Map<string, PriceRow[]>();
  for (const r of rows) {
    const key = `${r.product}\u0000${r.branch ?? ''}`;
    const list = byKey.get(key);
    if (list) list.push(r);
    else byKey.set(key, [r]);
  }
  /** The latest price of the key that had started and had been written by `at` (rows are newest first). */
  const latest = (key: string, at: number) =>
    byKey.get(key)?.find((r) => Number(r.from_us) <= at && Number(r.created_us) <= at)?.price;
  return {
    /** The price in force for a product at a branch at `at` (microseconds); undefined when none was. */
    priceAt(product: string, branch: string, at: number): number | undefined {
      const own = latest(`${product}\u0000${branch}`, at) ?? latest(`${product}\u0000`, at);
      return own === undefined ? undefined : Number(own);
    },
  };
}

/** Inactive products of the batch, by id, with the instant (microseconds) they last changed. */
async function inactiveSince(tx: SqlQueryable, productIds: string[]): Promise<Map<string, number>> {
  if (productIds.length === 0) return new Map();
  const rows = await tx.query<{ id: string; since_us: number }>(
    `SELECT id, (extract(epoch FROM updated_at) * 1000000)::int8 AS since_us
       FROM products WHERE id = ANY($1::text[]) AND NOT active`,
    [productIds],
  );
  return new Map(rows.map((r) => [r.id, Number(r.since_us)]));
}

/**
 * The cashiers the batch's sales name that are users of the tenant, by id and by email (compared as
 * Postgres lowers them; any role: owners and managers sell too).
 */
async function knownCashiers(tx: SqlQueryable, sales: readonly Pushed[]) {
  const ids = [...new Set(sales.flatMap((m) => m.doc.cashierUserId ?? []))];
  const given = [
    ...new Set(sales.flatMap((m) => (m.doc.cashierUserId === null ? (m.doc.cashier ?? []) : []))),
  ];
  const rows =
    ids.length === 0 && given.length === 0
      ? []
      : await tx.query<{ by: 'id' | 'email'; value: string }>(
          `SELECT 'id' AS by, id AS value FROM users WHERE id = ANY($1::text[])
           UNION ALL
           SELECT 'email', c.given FROM unnest($2::text[]) AS c(given)
            WHERE EXISTS (SELECT 1 FROM users u WHERE lower(u.email) = lower(c.given))`,
          [ids, given],
        );
  const known = new Set(rows.map((r) => `${r.by}:${r.value}`));
  return {
    /** Whether the sale's cashier, if it names one, is a user of the tenant. */
    knows(doc: SaleDocument): boolean {
      if (doc.cashierUserId !== null) return known.has(`id:${doc.cashierUserId}`);
      return doc.cashier === null || known.has(`email:${doc.cashier}`);
    },
  };
}
