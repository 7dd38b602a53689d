// The inventory report (SPEC §10, docs/reports.md): on hand per branch and product now, low stock
// against each product's reorder level at the branch (or the query's `lowStockMilli` where none is
// set), below zero, a valuation at weighted average receipt cost, and the ledger's movements by kind.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { divRoundHalfUp } from '../../src/domain/money.ts';
import { exact } from './figures.ts';

export interface StockRow {
  branch: string;
  productId: string;
  sku: string | null;
  name: string | null;
  qtyMilli: number;
  /** The branch's reorder level for the product; null where HQ set none. */
  reorderLevelMilli: number | null;
  lowStock: boolean;
  belowZero: boolean;
  /** Weighted average cost of one unit over every goods receipt of the product; null if never received. */
  unitCostMinor: number | null;
  /** On hand × unit cost, rounded half-up; 0 at or below zero; null without a cost. */
  valueMinor: number | null;
}

export interface MovementKindRow {
  branch: string;
  /** sale, refund, receive, adjust, count, transfer_out or transfer_in. */
  kind: string;
  movements: number;
  qtyMilli: number;
}

export interface InventoryQuery {
  branch: string | null;
  lowStockMilli: number;
  /** Movements between these branch-local dates (inclusive); every movement when absent. */
  from?: string | undefined;
  to?: string | undefined;
}

/** Per product: Σ qty × unit cost (thousandths of a minor unit) and Σ qty over every goods receipt. */
async function receiptCosts(db: SqlQueryable): Promise<Map<string, { cost: bigint; qty: bigint }>> {
  const rows = await db.query<{ product_id: string; cost: string; qty: string }>(
    `SELECT product_id, sum(delta_qty_milli::numeric * unit_cost_minor)::text AS cost, sum(delta_qty_milli)::text AS qty
       FROM stock_movements WHERE reason = 'receive' AND unit_cost_minor IS NOT NULL
      GROUP BY product_id`,
  );
  return new Map(rows.map((r) => [r.product_id, { cost: BigInt(r.cost), qty: BigInt(r.qty) }]));
}

export async function inventoryReport(db: SqlQueryable, q: InventoryQuery) {
  // On hand as text: an int8 beyond 2^53 would otherwise come back rounded.
  const raw = await db.query<{
    branch: string;
    productId: string;
    sku: string | null;
    name: string | null;
    onHand: string;
    level: string | null;
  }>(
    `SELECT h.branch_code AS branch, h.product_id AS "productId", p.sku, p.name, h.qty_milli::text AS "onHand",
            r.level_milli::text AS level
       FROM stock_on_hand h
       LEFT JOIN products p ON p.id = h.product_id
       LEFT JOIN reorder_levels r ON r.branch_code = h.branch_code AND r.product_id = h.product_id
      WHERE $1::text IS NULL OR h.branch_code = $1
      ORDER BY h.branch_code, p.sku NULLS LAST, h.product_id`,
    [q.branch],
  );
  const costs = await receiptCosts(db);
  let valuation = 0n;
  const rows: StockRow[] = raw.map((r) => {
    const onHand = BigInt(r.onHand);
    const level = r.level === null ? null : BigInt(r.level);
    const cost = costs.get(r.productId);
    const priced = cost !== undefined && cost.qty > 0n;
    const value = !priced ? null : onHand > 0n ? divRoundHalfUp(onHand * cost.cost, cost.qty * 1000n) : 0n;
    valuation += value ?? 0n;
    const what = `${r.productId} at ${r.branch}`;
    return {
      branch: r.branch,
      productId: r.productId,
      sku: r.sku,
      name: r.name,
      qtyMilli: exact(onHand, `on hand of ${what}`),
      reorderLevelMilli: level === null ? null : exact(level, `reorder level of ${what}`),
      lowStock: onHand >= 0n && (level === null ? onHand < BigInt(q.lowStockMilli) : onHand <= level),
      belowZero: onHand < 0n,
      unitCostMinor: priced
        ? exact(divRoundHalfUp(cost.cost, cost.qty), `unit cost of ${r.productId}`)
        : null,
      valueMinor: value === null ? null : exact(value, `value of ${what}`),
    };
  });
  return {
    rows,
    lowStock: rows.filter((r) => r.lowStock).length,
    belowZero: rows.filter((r) => r.belowZero).length,
    valuationMinor: exact(valuation, 'the stock valuation'),
    unvalued: rows.filter((r) => r.valueMinor === null).length,
    movements: await movementsByKind(db, q),
  };
}

/** The ledger's movements per branch and kind (a transfer split into out and in), in the period if one is given. */
async function movementsByKind(db: SqlQueryable, q: InventoryQuery): Promise<MovementKindRow[]> {
  const rows = await db.query<{ branch: string; kind: string; movements: string; qty: string }>(
    `SELECT m.branch_code AS branch,
            CASE WHEN m.reason <> 'transfer' THEN m.reason
                 WHEN m.delta_qty_milli < 0 THEN 'transfer_out' ELSE 'transfer_in' END AS kind,
            count(*)::text AS movements, sum(m.delta_qty_milli)::text AS qty
       FROM stock_movements m
       LEFT JOIN branches b ON b.code = m.branch_code
      WHERE ($1::text IS NULL OR m.branch_code = $1)
        AND ($2::date IS NULL OR (m.occurred_at AT TIME ZONE coalesce(b.time_zone, 'UTC'))::date >= $2::date)
        AND ($3::date IS NULL OR (m.occurred_at AT TIME ZONE coalesce(b.time_zone, 'UTC'))::date <= $3::date)
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [q.branch, q.from ?? null, q.to ?? null],
  );
  return rows.map((r) => ({
    branch: r.branch,
    kind: r.kind,
    movements: exact(r.movements, 'a movement count'),
    qtyMilli: exact(r.qty, `movements of ${r.kind} at ${r.branch}`),
  }));
}
