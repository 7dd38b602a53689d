// The journaled documents as the tenant's database holds them now, rebuilt as `JournalDocument`s
// (src/journal/canonical-document.ts) for a batch of links: a sale or refund as
// cloud/sales/stored-sales.ts reads it (its row with the approval columns, lines, payments), a shift
// open from its shift's open columns, a cash movement from cash_movements, a shift close from its
// shift's close and seal columns and its counts. What is rebuilt is exactly what the rows say: an
// edited row hashes differently, and a document whose rows are gone is absent from the answer.
import { groupBy, num, numOrNull, type Row, str, strOrNull } from '../../src/db/rows.ts';
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { PaymentMethod } from '../../src/domain/payloads.ts';
import type { JournalDocument } from '../../src/journal/canonical-document.ts';
import type { JournalKind, ShiftSeal } from '../../src/protocol/journal.ts';
import { readStoredSales } from '../sales/stored-sales.ts';

/** A document a link names: its kind and id (a shift close: its shift's id). */
export interface DocumentRef {
  kind: JournalKind;
  documentId: string;
}

/** Where a document is found in the answer of `storedJournalDocuments`. */
export const documentKey = (kind: JournalKind, documentId: string) =>
  `${kind === 'refund' ? 'sale' : kind}\u0000${documentId}`;

async function sales(db: SqlQueryable, ids: readonly string[], out: Map<string, JournalDocument>) {
  for (const [id, document] of await readStoredSales(db, ids)) {
    out.set(documentKey(document.kind, id), { kind: document.kind, document });
  }
}

async function shiftOpens(db: SqlQueryable, ids: readonly string[], out: Map<string, JournalDocument>) {
  if (ids.length === 0) return;
  const rows = await db.query<Row>(
    `SELECT id, branch_code, terminal, opened_by, opened_by_user_id, opened_at, opening_float_minor,
            to_char(business_date, 'YYYY-MM-DD') AS business_date
       FROM shifts WHERE id = ANY($1::text[])`,
    [ids],
  );
  for (const s of rows) {
    out.set(documentKey('shift_open', str(s.id)), {
      kind: 'shift_open',
      document: {
        id: str(s.id),
        branch: str(s.branch_code),
        terminal: str(s.terminal),
        openedBy: strOrNull(s.opened_by),
        openedByUserId: strOrNull(s.opened_by_user_id),
        openedAt: str(s.opened_at),
        openingFloatMinor: num(s.opening_float_minor),
        businessDate: str(s.business_date),
      },
    });
  }
}

async function cashMovements(db: SqlQueryable, ids: readonly string[], out: Map<string, JournalDocument>) {
  if (ids.length === 0) return;
  const rows = await db.query<Row>(
    `SELECT id, shift_id, direction, amount_minor, reason, cashier, cashier_user_id, occurred_at
       FROM cash_movements WHERE id = ANY($1::text[])`,
    [ids],
  );
  for (const m of rows) {
    out.set(documentKey('cash_movement', str(m.id)), {
      kind: 'cash_movement',
      document: {
        id: str(m.id),
        shiftId: str(m.shift_id),
        direction: m.direction as 'in' | 'out',
        amountMinor: num(m.amount_minor),
        reason: str(m.reason),
        cashier: strOrNull(m.cashier),
        cashierUserId: strOrNull(m.cashier_user_id),
        occurredAt: str(m.occurred_at),
      },
    });
  }
}

async function shiftCloses(db: SqlQueryable, ids: readonly string[], out: Map<string, JournalDocument>) {
  if (ids.length === 0) return;
  const rows = await db.query<Row>(
    `SELECT id, closed_at, closed_by, closed_by_user_id, seal_grand_sales_minor, seal_grand_refunds_minor,
            seal_grand_tax_minor, seal_last_document_hash
       FROM shifts WHERE id = ANY($1::text[]) AND closed_at IS NOT NULL`,
    [ids],
  );
  const counts = groupBy(
    await db.query<Row>(
      'SELECT shift_id, method, counted_minor FROM shift_counts WHERE shift_id = ANY($1::text[]) ORDER BY shift_id, method',
      [ids],
    ),
    'shift_id',
  );
  for (const s of rows) {
    // A seal whose columns were emptied is written as nulls: the close is still stored, so the link
    // answers hash_mismatch (edited), not document_missing.
    const seal = {
      grandSalesMinor: numOrNull(s.seal_grand_sales_minor),
      grandRefundsMinor: numOrNull(s.seal_grand_refunds_minor),
      grandTaxMinor: numOrNull(s.seal_grand_tax_minor),
      lastDocumentHash: strOrNull(s.seal_last_document_hash),
    } as unknown as ShiftSeal;
    out.set(documentKey('shift_close', str(s.id)), {
      kind: 'shift_close',
      document: {
        shiftId: str(s.id),
        closedAt: str(s.closed_at),
        closedBy: strOrNull(s.closed_by),
        closedByUserId: strOrNull(s.closed_by_user_id),
        counted: (counts.get(str(s.id)) ?? []).map((c) => ({
          method: c.method as PaymentMethod,
          countedMinor: num(c.counted_minor),
        })),
        seal,
      },
    });
  }
}

/**
 * The stored documents `refs` name, by `documentKey(kind, id)`: one query per table for the whole
 * batch. A sale link finds a stored refund under the same key (and the other way round), so a kind
 * changed in place is a hash mismatch rather than a missing document.
 */
export async function storedJournalDocuments(
  db: SqlQueryable,
  refs: readonly DocumentRef[],
): Promise<Map<string, JournalDocument>> {
  const ids = (kinds: readonly JournalKind[]) => [
    ...new Set(refs.filter((r) => kinds.includes(r.kind)).map((r) => r.documentId)),
  ];
  const out = new Map<string, JournalDocument>();
  await sales(db, ids(['sale', 'refund']), out);
  await shiftOpens(db, ids(['shift_open']), out);
  await cashMovements(db, ids(['cash_movement']), out);
  await shiftCloses(db, ids(['shift_close']), out);
  return out;
}
