// Stock below zero is flagged, never refused: on hand per branch and product is the ledger's sum,
// which only the cloud sees whole.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { SaleDocument } from '../../src/protocol/mutations.ts';

/**
 * Stock is a ledger the cloud alone sees whole: on hand per branch and product is every movement's
 * sum, so a sale taking it below zero is flagged here (accepted, never refused), in the usual case
 * where documents arrive in time order. Once the rows are in, stock-order.ts walks them in
 * occurredAt order under the branch's ledger lock and corrects any flag this first read got wrong
 * (a batch that arrived late, another device's batch committed meanwhile).
 */
export async function flagStockBelowZero<M extends { doc: SaleDocument }>(
  tx: SqlQueryable,
  docs: M[],
): Promise<M[]> {
  const keys = [
    ...new Set(docs.flatMap((m) => m.doc.stockMovements.map((s) => `${m.doc.branch}\u0000${s.productId}`))),
  ];
  if (keys.length === 0) return docs;
  const pairs = keys.map((k) => k.split('\u0000') as [string, string]);
  // On hand before this batch: the trigger-kept running sum (tenant migration 0004), one key lookup each.
  const rows = await tx.query<{ branch: string; product: string; on_hand: number }>(
    `SELECT s.branch_code AS branch, s.product_id AS product, s.qty_milli AS on_hand
       FROM stock_on_hand s
       JOIN unnest($1::text[], $2::text[]) AS k(branch, product) ON k.branch = s.branch_code AND k.product = s.product_id`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
  const onHand = new Map(rows.map((r) => [`${r.branch}\u0000${r.product}`, Number(r.on_hand)]));
  return docs.map((m) => {
    const below = new Set<string>();
    for (const s of m.doc.stockMovements) {
      const key = `${m.doc.branch}\u0000${s.productId}`;
      const after = (onHand.get(key) ?? 0) + s.deltaQtyMilli;
      onHand.set(key, after);
      if (after < 0 && s.deltaQtyMilli < 0) below.add(s.productId);
    }
    if (below.size === 0) return m;
    const addFlag = <F extends string>(flags: F[]) =>
      (flags as string[]).includes('stock_below_zero') ? flags : [...flags, 'stock_below_zero' as F];
    return {
      ...m,
      doc: {
        ...m.doc,
        flags: addFlag(m.doc.flags),
        lines: m.doc.lines.map((l) =>
          l.productId !== null && below.has(l.productId) ? { ...l, flags: addFlag(l.flags) } : l,
        ),
      },
    };
  });
}
