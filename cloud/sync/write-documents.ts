// Writing valid mutations to the tenant's tables, by kind in an order that lets a batch refer to
// itself (a shift opened before its sales, sales before their refunds, movements and closes, then
// stock documents), with one set-based insert per table (write-sales.ts, write-shifts.ts,
// write-cashier-events.ts, write-stock.ts; their columns in columns.ts). Refused mutations go to
// write-quarantine.ts.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { isStockKind } from '../../src/protocol/stock.ts';
import { lockLedgers } from './stock-ledger.ts';
import { knownIds } from './stored-documents.ts';
import type { Rejection, ValidMutation } from './validate.ts';
import { applyCashierEvents } from './write-cashier-events.ts';
import { applySales, type SaleWriteContext } from './write-sales.ts';
import { applyCashMovements, applyShiftCloses, applyShiftOpens } from './write-shifts.ts';
import { applyStockDocuments } from './write-stock.ts';

/** What became of a valid mutation: stored, already there, or refused after all (quarantined). */
export type Report = (m: ValidMutation, outcome: 'applied' | 'duplicate' | Rejection) => void;

/** Writes the batch's valid mutations, every kind in its turn, and reports what became of each. */
export async function applyValid(
  tx: SqlQueryable,
  valid: ValidMutation[],
  deviceId: string,
  receivedAt: string,
  options: Pick<SaleWriteContext, 'checkSeries' | 'movementIds'>,
  report: Report,
): Promise<void> {
  const byKind = <K extends ValidMutation['kind']>(...kinds: K[]) =>
    valid.filter((m): m is Extract<ValidMutation, { kind: K }> => (kinds as string[]).includes(m.kind));
  if (valid.length === 0) return;
  // Ids are unique in a batch (applyMutations), so one lookup before any insert serves every kind.
  const ids = valid.flatMap((m) => (m.kind === 'shift_close' ? [] : [m.doc.id]));
  const known = await knownIds(tx, deviceId, ids);
  await lockLedgers(tx, valid.flatMap(ledgerBranches));
  await applyShiftOpens(tx, byKind('shift_open'), deviceId, known, report);
  await applySales(tx, byKind('sale', 'refund'), { deviceId, receivedAt, known, ...options }, report);
  await applyCashMovements(tx, byKind('cash_movement'), deviceId, known, report);
  await applyShiftCloses(tx, byKind('shift_close'), deviceId, report);
  await applyCashierEvents(tx, byKind('cashier_event'), deviceId, known, report);
  const stock = byKind('stock_receipt', 'stock_adjustment', 'stock_count', 'stock_transfer');
  await applyStockDocuments(tx, stock, { deviceId, receivedAt, known }, report);
}

/** The branches whose stock ledger a mutation may write. */
function ledgerBranches(m: ValidMutation): string[] {
  if (m.kind === 'sale' || m.kind === 'refund') return m.doc.stockMovements.length > 0 ? [m.doc.branch] : [];
  if (m.kind === 'stock_transfer') return [m.doc.branch, m.doc.toBranch];
  if (isStockKind(m.kind)) return [(m.doc as { branch: string }).branch];
  return [];
}
