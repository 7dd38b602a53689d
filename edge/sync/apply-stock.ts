// Applies pulled stock movements (the branch's rows that other tills and HQ recorded) with the new
// stock cursor, in one SQLite transaction. A row this edge holds already (same id: its own, or one
// pulled before a lost cursor write) is skipped, so nothing is counted twice; on hand is kept by the
// store's triggers in occurredAt order whatever order the rows come in (tenant migration 0010).
import type { StockMovementRow } from '../../src/protocol/messages.ts';
import type { EdgeStore } from '../store/store.ts';

export function readStockCursor(store: EdgeStore): number {
  return Number(store.meta.get('stock_cursor') ?? 0);
}

/** Inserts the rows this edge lacks and moves the cursor; returns how many were new. */
export function applyStockMovements(
  store: EdgeStore,
  movements: readonly StockMovementRow[],
  cursor: number,
): number {
  const { sqlite } = store.database;
  const insert = sqlite.prepare(
    `INSERT OR IGNORE INTO stock_movements
       (id, branch_code, product_id, delta_qty_milli, reason, occurred_at, source_id, counted_qty_milli)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return sqlite
    .transaction(() => {
      let added = 0;
      for (const m of movements) {
        // Instants as this edge writes its own (ISO, milliseconds, Z): the triggers compare them as text.
        const at = new Date(m.occurredAt).toISOString();
        added += insert.run(
          m.id,
          store.branch,
          m.productId,
          m.deltaQtyMilli,
          m.reason,
          at,
          m.sourceId,
          m.countedQtyMilli,
        ).changes;
      }
      store.meta.set('stock_cursor', String(cursor));
      return added;
    })
    .immediate();
}
