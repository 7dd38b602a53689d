// Writing pushed stock documents (goods received, adjustments, counts, transfers): ids checked against
// every document the tenant holds, a transfer's destination checked against the tenant's branches,
// then the documents whole and their ledger rows, settled in occurredAt order (stock-ledger.ts).
import type { SqlQueryable } from '../../src/db/sql.ts';
import { type LedgerMovement, movementsOf } from '../../src/domain/stock.ts';
import type { StockDocument } from '../../src/protocol/stock.ts';
import { reportInserted } from './report-inserted.ts';
import { insertLedger } from './stock-ledger.ts';
import { freshIds, type KnownIds } from './stored-documents.ts';
import { unnestInsertIds } from './unnest.ts';
import type { ValidMutation } from './validate.ts';
import type { Report } from './write-documents.ts';

type StockMutation = Extract<ValidMutation, StockDocument>;

/** The stock document as a table row's `to_branch_code`. */
const toBranchOf = (m: StockDocument): string | null => (m.kind === 'stock_transfer' ? m.doc.toBranch : null);

/** Documents whose ledger rows are new (a crafted sale may have taken one's id) and whose destination exists. */
async function writable(tx: SqlQueryable, docs: readonly StockMutation[], report: Report) {
  const rows = new Map(docs.map((m) => [m.id, movementsOf(m)]));
  const ids = [...rows.values()].flat().map((r) => r.id);
  const taken = new Set(
    (await tx.query<{ id: string }>('SELECT id FROM stock_movements WHERE id = ANY($1::text[])', [ids])).map(
      (r) => r.id,
    ),
  );
  const destinations = [...new Set(docs.flatMap((m) => toBranchOf(m) ?? []))];
  const known = new Set(
    destinations.length === 0
      ? []
      : (
          await tx.query<{ code: string }>('SELECT code FROM branches WHERE code = ANY($1::text[])', [
            destinations,
          ])
        ).map((r) => r.code),
  );
  return docs.filter((m) => {
    const to = toBranchOf(m);
    const clash = rows.get(m.id)!.find((r) => taken.has(r.id));
    if (to !== null && !known.has(to)) report(m, { code: 'unknown_branch', reason: `no branch ${to}` });
    else if (clash) {
      report(m, { code: 'id_conflict', reason: `stock movement id ${clash.id} is already in the ledger` });
    } else return true;
    return false;
  });
}

/** A stock document's ledger rows, as the cloud writes them. */
export const ledgerRows = (m: StockDocument, deviceId: string | null) =>
  movementsOf(m).map((r: LedgerMovement) => ({ ...r, deviceId }));

/** Inserts stock documents and their ledger rows; returns the ids inserted (the others were taken meanwhile). */
export async function insertStockDocuments(
  tx: SqlQueryable,
  docs: readonly (StockDocument & { seq: number | null })[],
  deviceId: string | null,
  receivedAt: string,
): Promise<Set<string>> {
  if (docs.length === 0) return new Set();
  const ids = await unnestInsertIds<(typeof docs)[number]>(
    tx,
    'stock_documents',
    [
      ['id', 'text', (m) => m.doc.id],
      ['kind', 'text', (m) => m.kind],
      ['branch_code', 'text', (m) => m.doc.branch],
      ['to_branch_code', 'text', (m) => toBranchOf(m)],
      ['device_id', 'text', () => deviceId],
      ['device_seq', 'int8', (m) => m.seq],
      ['actor', 'text', (m) => m.doc.actor],
      ['occurred_at', 'timestamptz', (m) => m.doc.occurredAt],
      ['received_at', 'timestamptz', () => receivedAt],
      ['payload', 'text', (m) => JSON.stringify(m.doc)],
    ],
    docs,
    (m) => m.doc.id,
  );
  await insertLedger(
    tx,
    docs.filter((m) => ids.has(m.doc.id)).flatMap((m) => ledgerRows(m, deviceId)),
  );
  return ids;
}

export async function applyStockDocuments(
  tx: SqlQueryable,
  docs: StockMutation[],
  ctx: { deviceId: string; receivedAt: string; known: KnownIds },
  report: Report,
): Promise<void> {
  if (docs.length === 0) return;
  const fresh = await writable(tx, freshIds(ctx.known, docs, report), report);
  const inserted = await insertStockDocuments(tx, fresh, ctx.deviceId, ctx.receivedAt);
  reportInserted(fresh, inserted, report);
}
