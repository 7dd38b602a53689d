// Stock at the till: goods received (with the cost of each unit), adjustments with a reason, counts
// and transfers to another branch. Each is one document written with its ledger rows and its outbox
// entry in one transaction; on hand is kept by the store's triggers in occurredAt order (tenant
// migration 0010), from this edge's rows and the ones it pulls (docs/stock.md).
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AdjustmentInput, CountInput, ReceiptInput, TransferInput } from '../../src/domain/stock.ts';
import { movementsOf } from '../../src/domain/stock.ts';
import type { StockDocument, StockDocuments, StockKind } from '../../src/protocol/stock.ts';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';
import { clockRefusal } from './clock.ts';
import type { Outbox } from './outbox.ts';
import type { Recorded } from './sales.ts';

export interface StockDeps {
  sqlite: Database.Database;
  transaction: <T>(fn: () => T) => T;
  outbox: Outbox;
  branch: string;
  now: () => Date;
  idTaken: (id: string) => boolean;
}

/** A product's on hand at this branch. */
export interface OnHandRow {
  productId: string;
  sku: string | null;
  name: string | null;
  qtyMilli: number;
}

export interface StockService {
  receive(input: ReceiptInput): EdgeOutcome<Recorded<StockDocuments['stock_receipt']>>;
  adjust(input: AdjustmentInput): EdgeOutcome<Recorded<StockDocuments['stock_adjustment']>>;
  count(input: CountInput): EdgeOutcome<Recorded<StockDocuments['stock_count']>>;
  transfer(input: TransferInput): EdgeOutcome<Recorded<StockDocuments['stock_transfer']>>;
  onHand(productId?: string): OnHandRow[];
}

export function createStockService(deps: StockDeps): StockService {
  const { sqlite } = deps;
  const stored = sqlite.prepare('SELECT kind, payload FROM stock_documents WHERE id = ?');
  const product = sqlite.prepare('SELECT 1 FROM products WHERE id = ?').pluck();
  const branch = sqlite.prepare('SELECT 1 FROM branches WHERE code = ?').pluck();
  const qty = sqlite
    .prepare('SELECT qty_milli FROM stock_on_hand WHERE branch_code = ? AND product_id = ?')
    .pluck();
  const insertDocument = sqlite.prepare(
    `INSERT INTO stock_documents (id, kind, branch_code, to_branch_code, actor, occurred_at, received_at, payload)
     VALUES (@id, @kind, @branch, @toBranch, @actor, @occurredAt, @occurredAt, @payload)`,
  );
  const insertMovement = sqlite.prepare(
    `INSERT INTO stock_movements (id, branch_code, product_id, delta_qty_milli, reason, occurred_at, source_id,
       counted_qty_milli, unit_cost_minor)
     VALUES (@id, @branch, @productId, @deltaQtyMilli, @reason, @occurredAt, @sourceId, @countedQtyMilli, @unitCostMinor)`,
  );
  const onHandRows = sqlite.prepare(
    `SELECT h.product_id AS productId, p.sku, p.name, h.qty_milli AS qtyMilli
       FROM stock_on_hand h LEFT JOIN products p ON p.id = h.product_id
      WHERE h.branch_code = @branch AND (@productId IS NULL OR h.product_id = @productId)
      ORDER BY p.sku, h.product_id`,
  );

  /**
   * Records a document of `kind` built by `build` (given its id and instant): the first answer again
   * for a repeated id, `id_conflict` for an id another document holds, `unknown_product` for a
   * product this edge's catalog lacks.
   */
  function record<K extends StockKind>(
    kind: K,
    input: { id?: string | undefined; lines: readonly { productId: string }[] },
    build: (id: string, occurredAt: string) => StockDocuments[K],
    check?: () => EdgeOutcome<never> | undefined,
  ): EdgeOutcome<Recorded<StockDocuments[K]>> {
    return deps.transaction(() => {
      if (input.id !== undefined) {
        const existing = stored.get(input.id) as { kind: string; payload: string } | undefined;
        if (existing?.kind === kind) {
          return accept({ created: false, value: JSON.parse(existing.payload) as StockDocuments[K] });
        }
        if (existing || deps.idTaken(input.id))
          return refuseWith('id_conflict', `id ${input.id} is already used`);
      }
      const missing = input.lines.find((l) => product.get(l.productId) === undefined);
      if (missing)
        return refuseWith('unknown_product', `no product ${missing.productId} in this edge's catalog`);
      const refused = check?.();
      if (refused) return refused;
      const at = deps.now();
      const wrongClock = clockRefusal(at);
      if (wrongClock) return wrongClock;
      const doc = build(input.id ?? randomUUID(), at.toISOString());
      const document = { kind, doc } as StockDocument;
      insertDocument.run({
        id: doc.id,
        kind,
        branch: doc.branch,
        toBranch: document.kind === 'stock_transfer' ? document.doc.toBranch : null,
        actor: doc.actor,
        occurredAt: doc.occurredAt,
        payload: JSON.stringify(doc),
      });
      // Only this branch's rows: a transfer's arrival is the other branch's ledger.
      for (const m of movementsOf(document)) {
        if (m.branch !== deps.branch) continue;
        const before = m.reason === 'count' ? Number(qty.get(m.branch, m.productId) ?? 0) : 0;
        const delta = m.reason === 'count' ? (m.countedQtyMilli ?? 0) - before : m.deltaQtyMilli;
        insertMovement.run({ ...m, deltaQtyMilli: delta });
      }
      deps.outbox.append(kind, doc.id, doc as never, doc.occurredAt);
      return accept({ created: true, value: doc });
    });
  }

  const head = (id: string, occurredAt: string, cashier: string | undefined) => ({
    id,
    branch: deps.branch,
    occurredAt,
    actor: cashier ?? null,
  });
  const numbered = <L>(lines: readonly L[]) => lines.map((l, i) => ({ lineNo: i + 1, ...l }));

  return {
    receive: (input) =>
      record('stock_receipt', input, (id, at) => ({
        ...head(id, at, input.cashier),
        note: input.note ?? null,
        lines: numbered(input.lines),
      })),
    adjust: (input) =>
      record('stock_adjustment', input, (id, at) => ({
        ...head(id, at, input.cashier),
        reason: input.reason,
        lines: numbered(input.lines),
      })),
    count: (input) =>
      record('stock_count', input, (id, at) => ({
        ...head(id, at, input.cashier),
        note: input.note ?? null,
        lines: numbered(input.lines),
      })),
    transfer: (input) =>
      record(
        'stock_transfer',
        input,
        (id, at) => ({
          ...head(id, at, input.cashier),
          toBranch: input.toBranch,
          note: input.note ?? null,
          lines: numbered(input.lines),
        }),
        () => {
          if (input.toBranch === deps.branch)
            return refuseWith('invalid_input', 'a transfer goes to another branch than this one');
          if (branch.get(input.toBranch) === undefined)
            return refuseWith('unknown_branch', `no branch ${input.toBranch} in this edge's catalog`);
          return undefined;
        },
      ),
    onHand: (productId) =>
      (onHandRows.all({ branch: deps.branch, productId: productId ?? null }) as OnHandRow[]).map((r) => ({
        ...r,
        qtyMilli: Number(r.qtyMilli),
      })),
  };
}
