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

export async function readStockMovements(
  db: SqlQueryable,
  branch: string,
  deviceId: string,
  after: number,
  limit: number,
): Promise<StockPage> {
  const rows = await db.query<{
    seq: number;
    id: string;
    product_id: string;
    delta: number;
    reason: StockMovementRow['reason'];
    occurred_at: string;
    counted: number | null;
    source_id: string | null;
    device_id: string | null;
  }>(
    `SELECT branch_seq AS seq, id, product_id, delta_qty_milli AS delta, reason, occurred_at,
            counted_qty_milli AS counted, source_id, device_id
       FROM stock_movements WHERE branch_code = $1 AND branch_seq > $2
      ORDER BY branch_seq LIMIT $3`,
    [branch, after, limit],
  );
  const movements = rows
    .filter((r) => r.device_id !== deviceId)
    .map((r) => ({
      id: r.id,
      productId: r.product_id,
      deltaQtyMilli: Number(r.delta),
      reason: r.reason,
      occurredAt: r.occurred_at,
      countedQtyMilli: r.counted === null ? null : Number(r.counted),
      sourceId: r.source_id,
    }));
  return {
    movements,
    cursor: rows.length === 0 ? after : Number(rows.at(-1)!.seq),
    more: rows.length === limit,
  };
}
