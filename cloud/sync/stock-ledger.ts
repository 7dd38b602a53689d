// Writing rows to the tenant's stock ledger, from pushes and from HQ alike: each row takes the next
// place in its branch's ledger (the edges' pull cursor), then on hand and the `stock_below_zero` flags
// of the branch and products touched are settled in occurredAt order (stock-order.ts).
import type { SqlQueryable } from '../../src/db/sql.ts';
import { readStanding, settleStock, timed, type WrittenFlags } from './stock-order.ts';
import { unnestInsertIds } from './unnest.ts';

/** One stock_movements row. */
export interface LedgerRow {
  id: string;
  branch: string;
  productId: string;
  deltaQtyMilli: number;
  reason: 'sale' | 'refund' | 'receive' | 'adjust' | 'count' | 'transfer';
  occurredAt: string;
  sourceId: string;
  /** Null when HQ recorded it. */
  deviceId: string | null;
  countedQtyMilli: number | null;
  unitCostMinor: number | null;
}

/**
 * Hands out `count` places per branch in its ledger. The branch's cursor row stays locked until the
 * transaction ends, so places commit in order and an edge pulling "after N" never skips one. Rows
 * are locked in branch order; a pushed batch takes all of its branches first (lockLedgers).
 */
async function takePlaces(tx: SqlQueryable, rows: readonly LedgerRow[]): Promise<Map<string, number>> {
  const perBranch = new Map<string, number>();
  for (const r of rows) perBranch.set(r.branch, (perBranch.get(r.branch) ?? 0) + 1);
  const branches = [...perBranch.keys()].sort();
  const tops = await tx.query<{ branch_code: string; cursor: number }>(
    `INSERT INTO stock_branch_cursors AS c (branch_code, cursor)
     SELECT * FROM unnest($1::text[], $2::int8[]) ORDER BY 1
     ON CONFLICT (branch_code) DO UPDATE SET cursor = c.cursor + excluded.cursor
     RETURNING branch_code, cursor`,
    [branches, branches.map((b) => perBranch.get(b))],
  );
  // The first place of each branch's rows in this statement.
  return new Map(tops.map((t) => [t.branch_code, Number(t.cursor) - perBranch.get(t.branch_code)! + 1]));
}

/**
 * Takes the ledger locks of every branch a batch may write, in branch order, before it writes any:
 * a batch holds them until it commits, so two batches (or a batch and an HQ transfer) that write
 * the same branches never wait on each other in opposite orders.
 */
export async function lockLedgers(tx: SqlQueryable, branches: Iterable<string>): Promise<void> {
  const sorted = [...new Set(branches)].sort();
  // One branch is locked by the write itself (takePlaces): no order to keep.
  if (sorted.length < 2) return;
  await tx.query(
    `INSERT INTO stock_branch_cursors AS c (branch_code, cursor)
     SELECT b, 0 FROM unnest($1::text[]) AS b ORDER BY 1
     ON CONFLICT (branch_code) DO UPDATE SET cursor = c.cursor`,
    [sorted],
  );
}

/** Inserts ledger rows and settles what the inserted ones touch; returns the ids inserted (a taken id is left out). */
export async function insertLedger(
  tx: SqlQueryable,
  rows: readonly LedgerRow[],
  written?: WrittenFlags,
): Promise<Set<string>> {
  if (rows.length === 0) return new Set();
  const next = await takePlaces(tx, rows);
  const placed = rows.map((r) => {
    const place = next.get(r.branch)!;
    next.set(r.branch, place + 1);
    return { r, place };
  });
  // Under the branches' ledger locks (takePlaces), before the rows go in: what they settle from. Rows
  // are settled from these copies only when each id is one row (else which went in is the ledger's to say).
  const rowsTimed = timed(placed.map(({ r, place }) => ({ ...r, place })));
  const distinct = new Set(rows.map((r) => r.id)).size === rows.length;
  const standing = distinct ? await readStanding(tx, rowsTimed) : new Map();
  const ids = await unnestInsertIds<(typeof placed)[number]>(
    tx,
    'stock_movements',
    [
      ['id', 'text', ({ r }) => r.id],
      ['branch_code', 'text', ({ r }) => r.branch],
      ['product_id', 'text', ({ r }) => r.productId],
      ['delta_qty_milli', 'int8', ({ r }) => r.deltaQtyMilli],
      ['reason', 'text', ({ r }) => r.reason],
      ['occurred_at', 'timestamptz', ({ r }) => r.occurredAt],
      ['source_id', 'text', ({ r }) => r.sourceId],
      ['device_id', 'text', ({ r }) => r.deviceId],
      ['branch_seq', 'int8', ({ place }) => place],
      ['counted_qty_milli', 'int8', ({ r }) => r.countedQtyMilli],
      ['unit_cost_minor', 'int8', ({ r }) => r.unitCostMinor],
    ],
    placed,
    ({ r }) => r.id,
  );
  await settleStock(
    tx,
    rowsTimed.filter((t) => ids.has(t.r.id)),
    standing,
    written,
  );
  return ids;
}
