// Writing shift documents: opens, cash movements and closes. A device touches only the shifts it
// opened; a cash movement or close for another device's shift is quarantined `shift_not_owned`, and
// a close is a duplicate only when it is the very close already stored (same mutation id).
import type { SqlQueryable } from '../../src/db/sql.ts';
import { reportInserted } from './report-inserted.ts';
import { freshIds, type KnownIds } from './stored-documents.ts';
import { unnestInsert, unnestInsertIds } from './unnest.ts';
import type { ValidMutation } from './validate.ts';
import type { Report } from './write-documents.ts';

type Of<K extends ValidMutation['kind']> = Extract<ValidMutation, { kind: K }>;

interface ShiftRow {
  id: string;
  device_id: string | null;
  closed: boolean;
  close_mutation_id: string | null;
}

async function shiftsById(tx: SqlQueryable, ids: readonly string[]): Promise<Map<string, ShiftRow>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query<ShiftRow>(
    'SELECT id, device_id, closed_at IS NOT NULL AS closed, close_mutation_id FROM shifts WHERE id = ANY($1::text[])',
    [[...new Set(ids)]],
  );
  return new Map(rows.map((r) => [r.id, r]));
}

/** The shifts named by `moves` that exist and are this device's; the others are reported refused. */
export async function ownedShifts<M extends { doc: { shiftId: string } } & ValidMutation>(
  tx: SqlQueryable,
  moves: readonly M[],
  deviceId: string,
  report: Report,
): Promise<{ owned: M[]; shifts: Map<string, ShiftRow> }> {
  const shifts = await shiftsById(
    tx,
    moves.map((m) => m.doc.shiftId),
  );
  const owned: M[] = [];
  for (const m of moves) {
    const shift = shifts.get(m.doc.shiftId);
    if (!shift) report(m, { code: 'unknown_shift', reason: `no shift ${m.doc.shiftId}` });
    else if (shift.device_id !== deviceId) {
      report(m, { code: 'shift_not_owned', reason: `shift ${m.doc.shiftId} is another device's` });
    } else owned.push(m);
  }
  return { owned, shifts };
}

export async function applyShiftOpens(
  tx: SqlQueryable,
  opens: Of<'shift_open'>[],
  deviceId: string,
  known: KnownIds,
  report: Report,
): Promise<void> {
  if (opens.length === 0) return;
  const fresh = freshIds(known, opens, report);
  // A sale may name its shift before the shift reaches the cloud; another device's sales naming this
  // id first would land in this shift's Z report, so the shift is refused instead.
  const named = await tx.query<{ shift_id: string }>(
    'SELECT DISTINCT shift_id FROM sales WHERE shift_id = ANY($1::text[]) AND NOT (device_id = ANY($2::text[]))',
    [fresh.map((m) => m.doc.id), [...known.sameEdge]],
  );
  const claimed = new Set(named.map((r) => r.shift_id));
  const unclaimed = fresh.filter((m) => {
    if (claimed.has(m.doc.id)) {
      report(m, { code: 'shift_not_owned', reason: `another device's sales already name shift ${m.doc.id}` });
    }
    return !claimed.has(m.doc.id);
  });
  const inserted = await unnestInsertIds<(typeof fresh)[number]>(
    tx,
    'shifts',
    [
      ['id', 'text', (m) => m.doc.id],
      ['branch_code', 'text', (m) => m.doc.branch],
      ['terminal', 'text', (m) => m.doc.terminal],
      ['device_id', 'text', () => deviceId],
      ['opened_by', 'text', (m) => m.doc.openedBy],
      ['opened_at', 'timestamptz', (m) => m.doc.openedAt],
      ['opening_float_minor', 'int8', (m) => m.doc.openingFloatMinor],
      ['business_date', 'date', (m) => m.doc.businessDate],
      ['open_seq', 'int8', (m) => m.seq],
      ['opened_by_user_id', 'text', (m) => m.doc.openedByUserId ?? null],
    ],
    unclaimed,
    (m) => m.doc.id,
  );
  reportInserted(unclaimed, inserted, report);
}

export async function applyCashMovements(
  tx: SqlQueryable,
  moves: Of<'cash_movement'>[],
  deviceId: string,
  known: KnownIds,
  report: Report,
): Promise<void> {
  if (moves.length === 0) return;
  const fresh = freshIds(known, moves, report);
  const { owned } = await ownedShifts(tx, fresh, deviceId, report);
  const inserted = await unnestInsertIds<(typeof owned)[number]>(
    tx,
    'cash_movements',
    [
      ['id', 'text', (m) => m.doc.id],
      ['shift_id', 'text', (m) => m.doc.shiftId],
      ['direction', 'text', (m) => m.doc.direction],
      ['amount_minor', 'int8', (m) => m.doc.amountMinor],
      ['reason', 'text', (m) => m.doc.reason],
      ['cashier', 'text', (m) => m.doc.cashier],
      ['occurred_at', 'timestamptz', (m) => m.doc.occurredAt],
      ['device_id', 'text', () => deviceId],
      ['device_seq', 'int8', (m) => m.seq],
      ['cashier_user_id', 'text', (m) => m.doc.cashierUserId ?? null],
    ],
    owned,
    (m) => m.doc.id,
  );
  reportInserted(owned, inserted, report);
}

export async function applyShiftCloses(
  tx: SqlQueryable,
  closes: Of<'shift_close'>[],
  deviceId: string,
  report: Report,
): Promise<void> {
  if (closes.length === 0) return;
  const { owned, shifts } = await ownedShifts(tx, closes, deviceId, report);
  const open: typeof owned = [];
  const closing = new Set<string>();
  for (const m of owned) {
    const shift = shifts.get(m.doc.shiftId)!;
    if (closing.has(m.doc.shiftId)) {
      report(m, {
        code: 'shift_closed',
        reason: `shift ${m.doc.shiftId} is closed by another close of this batch`,
      });
    } else if (!shift.closed) {
      open.push(m);
      closing.add(m.doc.shiftId);
    }
    // Closed before the cloud kept close ids, or by this very mutation: the same close again.
    else if (shift.close_mutation_id === null || shift.close_mutation_id === m.id) report(m, 'duplicate');
    else report(m, { code: 'shift_closed', reason: `shift ${m.doc.shiftId} is closed by another close` });
  }
  if (open.length === 0) return;
  const closed = await tx.query<{ id: string }>(
    `UPDATE shifts s SET closed_at = c.closed_at, closed_by = c.closed_by, counted_cash_minor = c.cash,
            close_seq = c.seq, close_mutation_id = c.mutation_id, closed_by_user_id = c.closed_by_user_id,
            seal_grand_sales_minor = c.seal_sales, seal_grand_refunds_minor = c.seal_refunds,
            seal_grand_tax_minor = c.seal_tax, seal_last_document_hash = c.seal_last_hash
       FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::int8[], $5::int8[], $6::text[], $7::text[],
                   $8::int8[], $9::int8[], $10::int8[], $11::text[])
         AS c(id, closed_at, closed_by, cash, seq, mutation_id, closed_by_user_id,
              seal_sales, seal_refunds, seal_tax, seal_last_hash)
      WHERE s.id = c.id AND s.closed_at IS NULL
      RETURNING s.id`,
    [
      open.map((m) => m.doc.shiftId),
      open.map((m) => m.doc.closedAt),
      open.map((m) => m.doc.closedBy),
      open.map((m) => m.doc.counted.find((c) => c.method === 'cash')?.countedMinor ?? null),
      open.map((m) => m.seq),
      open.map((m) => m.id),
      open.map((m) => m.doc.closedByUserId ?? null),
      // The Z report's seal (protocol 6, docs/journal.md#sealed-z), kept as the till sent it.
      open.map((m) => m.doc.seal?.grandSalesMinor ?? null),
      open.map((m) => m.doc.seal?.grandRefundsMinor ?? null),
      open.map((m) => m.doc.seal?.grandTaxMinor ?? null),
      open.map((m) => m.doc.seal?.lastDocumentHash ?? null),
    ],
  );
  const closedIds = new Set(closed.map((r) => r.id));
  await unnestInsert<{ shiftId: string; method: string; countedMinor: number }>(
    tx,
    'shift_counts',
    [
      ['shift_id', 'text', (c) => c.shiftId],
      ['method', 'text', (c) => c.method],
      ['counted_minor', 'int8', (c) => c.countedMinor],
    ],
    open
      .filter((m) => closedIds.has(m.doc.shiftId))
      .flatMap((m) => m.doc.counted.map((c) => ({ ...c, shiftId: m.doc.shiftId }))),
    { onConflict: 'ON CONFLICT DO NOTHING' },
  );
  for (const m of open) {
    report(
      m,
      closedIds.has(m.doc.shiftId)
        ? 'applied'
        : { code: 'shift_closed', reason: `shift ${m.doc.shiftId} was closed meanwhile` },
    );
  }
}
