// The stock movements an edge pulls: its branch's ledger after its cursor (branch_seq, handed out in
// commit order by stock-ledger.ts), less the rows this device recorded itself, which it holds already.
// A row it does hold (same id) is ignored by the edge, so nothing is ever counted twice.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { StockMovementRow } from '../../src/protocol/messages.ts';

export interface StockPage {
  movements: StockMovementRow[];
  cursor: number;
  more: boolean;
}

/**
 * One page of the branch's ledger after `after`: `limit` rows of it, less this device's own. Its own
 * are left out by the query, not read and dropped here: after a nightly push they are nearly all of
 * the page (60,000 movements for 20,000 sales). A last row (its id null) carries the page's cursor
 * and size, so the cursor moves past rows it leaves out.
 */
export async function readStockMovements(
  db: SqlQueryable,
  branch: string,
  deviceId: string,
  after: number,
  limit: number,
): Promise<StockPage> {
  const rows = await db.query<{
    seq: number | null;
    id: string | null;
    product_id: string;
    delta: number;
    reason: StockMovementRow['reason'];
    occurred_at: string;
    counted: number | null;
    source_id: string | null;
    read: number | null;
  }>(
    `WITH page AS (
       SELECT branch_seq, id, product_id, delta_qty_milli, reason, occurred_at, counted_qty_milli, source_id, device_id
         FROM stock_movements WHERE branch_code = $1 AND branch_seq > $2
        ORDER BY branch_seq LIMIT $3
     )
     SELECT branch_seq AS seq, id, product_id, delta_qty_milli AS delta, reason, occurred_at,
            counted_qty_milli AS counted, source_id, NULL::int8 AS read
       FROM page WHERE device_id IS DISTINCT FROM $4
     UNION ALL
     SELECT max(branch_seq), NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*) FROM page
     ORDER BY read NULLS FIRST, seq`,
    [branch, after, limit, deviceId],
  );
  const summary = rows.find((r) => r.id === null);
  const read = Number(summary?.read ?? 0);
  const movements = rows.flatMap((r) =>
    r.id === null
      ? []
      : [
          {
            id: r.id,
            productId: r.product_id,
            deltaQtyMilli: Number(r.delta),
            reason: r.reason,
            occurredAt: r.occurred_at,
            countedQtyMilli: r.counted === null ? null : Number(r.counted),
            sourceId: r.source_id,
          },
        ],
  );
  return {
    movements,
    cursor: read === 0 ? after : Number(summary!.seq),
    more: read === limit,
  };
}
