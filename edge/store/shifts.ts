// Shifts: opened with a float, cash in and out with a reason, closed with what was counted per
// tender. The X report is a snapshot of an open shift; closing returns the Z report, which the shift
// keeps answering afterwards (shift-report.ts computes both).
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { businessDate } from '../../src/domain/business-date.ts';
import { MoneyError } from '../../src/domain/money.ts';
import type { CashMovementInput, ShiftClose, ShiftOpen } from '../../src/domain/payloads.ts';
import type { CashMovementDocument } from '../../src/protocol/mutations.ts';
import { cashMovements, shiftCounts, shifts } from '../../src/schema/sqlite.ts';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';
import { type Actor, terminalRefusal } from './actor.ts';
import type { Catalog } from './catalog.ts';
import { clockRefusal } from './clock.ts';
import type { EdgeJournal } from './journal.ts';
import type { Outbox } from './outbox.ts';
import { preparedInsert } from './prepared.ts';
import type { Recorded } from './sales.ts';
import {
  createShiftReporter,
  type ShiftReport,
  type ShiftRow,
  type ShiftView,
  shiftView,
} from './shift-report.ts';
import type { ShiftRoom } from './shift-turnover.ts';

export type { ShiftReport, ShiftView } from './shift-report.ts';

export interface ShiftsDeps {
  db: BetterSQLite3Database;
  transaction: <T>(fn: () => T) => T;
  /** A read-only transaction: one snapshot, without taking the write lock. */
  read: <T>(fn: () => T) => T;
  catalog: Catalog;
  outbox: Outbox;
  branch: string;
  now: () => Date;
  idTaken: (id: string) => boolean;
  openShiftOf: (terminal: string) => string | null;
  /** Refuses a cash movement that would take its shift past the turnover bound. */
  shiftRoom: ShiftRoom;
  /** Each document's link in its terminal's hash chain. */
  journal: EdgeJournal;
  /** Called in the closing transaction: the terminal's cashier sessions end with its shift. */
  onClose?: (terminal: string, at: string) => void;
}

/**
 * `actor`: the signed-in user the person fields name (and the terminal the shift must be on);
 * without it the body's free-text cashier is used.
 */
export interface ShiftsService {
  open(input: ShiftOpen, actor?: Actor): EdgeOutcome<Recorded<ShiftView>>;
  moveCash(
    shiftId: string,
    input: CashMovementInput,
    actor?: Actor,
  ): EdgeOutcome<Recorded<CashMovementDocument>>;
  close(shiftId: string, input: ShiftClose, actor?: Actor): EdgeOutcome<ShiftReport>;
  report(shiftId: string): EdgeOutcome<ShiftReport>;
}

export function createShiftsService(deps: ShiftsDeps): ShiftsService {
  const { db, outbox } = deps;
  const id = sql.placeholder('id');
  const insertShift = preparedInsert(db, shifts);
  const insertMovement = preparedInsert(db, cashMovements);
  const insertCount = preparedInsert(db, shiftCounts);
  const shiftRow = db.select().from(shifts).where(eq(shifts.id, id)).prepare();
  // The document's own columns: the device and seq columns are the cloud's (tenant migration 0007).
  const movementRow = db
    .select({
      id: cashMovements.id,
      shiftId: cashMovements.shiftId,
      direction: cashMovements.direction,
      amountMinor: cashMovements.amountMinor,
      reason: cashMovements.reason,
      cashier: cashMovements.cashier,
      occurredAt: cashMovements.occurredAt,
      cashierUserId: cashMovements.cashierUserId,
    })
    .from(cashMovements)
    .where(eq(cashMovements.id, id))
    .prepare();
  const closeShift = db
    .update(shifts)
    .set({
      closedAt: sql.placeholder('closedAt') as unknown as string,
      closedBy: sql.placeholder('closedBy') as unknown as string,
      closedByUserId: sql.placeholder('closedByUserId') as unknown as string,
      countedCashMinor: sql.placeholder('countedCash') as unknown as number,
      sealGrandSalesMinor: sql.placeholder('sealGrandSalesMinor') as unknown as number,
      sealGrandRefundsMinor: sql.placeholder('sealGrandRefundsMinor') as unknown as number,
      sealGrandTaxMinor: sql.placeholder('sealGrandTaxMinor') as unknown as number,
      sealLastDocumentHash: sql.placeholder('sealLastDocumentHash') as unknown as string,
    })
    .where(eq(shifts.id, id))
    .prepare();
  const buildReport = createShiftReporter(db);

  /**
   * The report, or `amount_too_large` if its sums leave the safe-integer range: a guard only, since
   * the bounds on float, documents and the shift's turnover keep every sum below 2^53.
   */
  const reportOf = (row: ShiftRow): EdgeOutcome<ShiftReport> => {
    try {
      return accept(buildReport(row, deps.now()));
    } catch (err) {
      if (err instanceof MoneyError) return refuseWith('amount_too_large', `shift ${row.id}: ${err.message}`);
      throw err;
    }
  };
  const findShift = (shiftId: string): EdgeOutcome<ShiftRow> => {
    const row = shiftRow.get({ id: shiftId });
    return row ? accept(row) : refuseWith('shift_not_found', `no shift ${shiftId} on this edge`);
  };
  /** A closed shift refuses more cash and a second close; the Z report rides along for a till that retried. */
  const closedRefusal = (row: ShiftRow) => {
    const z = reportOf(row);
    return refuseWith('shift_closed', `shift ${row.id} was closed at ${row.closedAt}`, {
      closedAt: row.closedAt,
      ...(z.ok ? { zReport: z.value } : {}),
    });
  };

  /** The person a document names and their user id: the signed-in user wins over the body. */
  const personOf = (given: string | undefined, actor: Actor | undefined) =>
    actor?.user
      ? { name: actor.user.name, userId: actor.user.id }
      : { name: given ?? null, userId: null as string | null };

  return {
    open: (input, actor) =>
      deps.transaction(() => {
        if (input.id !== undefined) {
          const existing = shiftRow.get({ id: input.id });
          // The first answer: the shift as it was opened, even if it has been closed since.
          if (existing)
            return accept({
              created: false,
              value: { ...shiftView(existing), closedAt: null, closedBy: null, closedByUserId: null },
            });
          if (deps.idTaken(input.id)) return refuseWith('id_conflict', `id ${input.id} is already used`);
        }
        const elsewhere = terminalRefusal(actor, input.terminal);
        if (elsewhere) return elsewhere;
        const current = deps.openShiftOf(input.terminal);
        if (current !== null) {
          return refuseWith(
            'shift_already_open',
            `terminal ${input.terminal} already has an open shift; close it first`,
            { shiftId: current },
          );
        }
        const at = deps.now();
        const wrongClock = clockRefusal(at);
        if (wrongClock) return wrongClock;
        const openedBy = personOf(input.cashier, actor);
        const row: ShiftRow = {
          id: input.id ?? randomUUID(),
          branchCode: deps.branch,
          terminal: input.terminal,
          deviceId: null,
          openedBy: openedBy.name,
          openedByUserId: openedBy.userId,
          openedAt: at.toISOString(),
          openingFloatMinor: input.openingFloatMinor,
          businessDate: businessDate(at, deps.catalog.branchContext(deps.branch).timeZone),
          closedBy: null,
          closedAt: null,
          countedCashMinor: null,
          // The seqs and close id only the cloud records (tenant migration 0007).
          openSeq: null,
          closeSeq: null,
          closeMutationId: null,
          closedByUserId: null,
          sealGrandSalesMinor: null,
          sealGrandRefundsMinor: null,
          sealGrandTaxMinor: null,
          sealLastDocumentHash: null,
        };
        insertShift.run(row);
        const shift = shiftView(row);
        const { closedByUserId: _closer, closedAt: _at, closedBy: _by, ...opened } = shift;
        const chain = deps.journal.head(shift.terminal);
        const journal =
          chain && deps.journal.append(chain, { kind: 'shift_open', document: opened }, shift.openedAt);
        outbox.append(
          'shift_open',
          shift.id,
          { ...opened, closedAt: null, closedBy: null, ...(journal ? { journal } : {}) },
          shift.openedAt,
        );
        return accept({ created: true, value: shift });
      }),

    moveCash: (shiftId, input, actor) =>
      deps.transaction(() => {
        if (input.id !== undefined) {
          const existing = movementRow.get({ id: input.id });
          if (existing?.shiftId === shiftId) return accept({ created: false, value: existing });
          if (existing || deps.idTaken(input.id))
            return refuseWith('id_conflict', `id ${input.id} is already used`);
        }
        const shift = findShift(shiftId);
        if (!shift.ok) return shift;
        const elsewhere = terminalRefusal(actor, shift.value.terminal);
        if (elsewhere) return elsewhere;
        if (shift.value.closedAt !== null) return closedRefusal(shift.value);
        const full = deps.shiftRoom(shiftId, input.amountMinor);
        if (full) return full;
        const at = deps.now();
        const wrongClock = clockRefusal(at);
        if (wrongClock) return wrongClock;
        const person = personOf(input.cashier, actor);
        const movement: CashMovementDocument = {
          id: input.id ?? randomUUID(),
          shiftId,
          direction: input.direction,
          amountMinor: input.amountMinor,
          reason: input.reason,
          cashier: person.name,
          occurredAt: at.toISOString(),
          cashierUserId: person.userId,
        };
        insertMovement.run(movement);
        const chain = deps.journal.head(shift.value.terminal);
        const journal =
          chain &&
          deps.journal.append(chain, { kind: 'cash_movement', document: movement }, movement.occurredAt);
        outbox.append(
          'cash_movement',
          movement.id,
          { ...movement, ...(journal ? { journal } : {}) },
          movement.occurredAt,
        );
        return accept({ created: true, value: movement });
      }),

    close: (shiftId, input, actor) =>
      deps.transaction(() => {
        const shift = findShift(shiftId);
        if (!shift.ok) return shift;
        const elsewhere = terminalRefusal(actor, shift.value.terminal);
        if (elsewhere) return elsewhere;
        if (shift.value.closedAt !== null) return closedRefusal(shift.value);
        const now = deps.now();
        const wrongClock = clockRefusal(now);
        if (wrongClock) return wrongClock;
        const closedAt = now.toISOString();
        const closer = personOf(input.cashier, actor);
        const closedBy = closer.name;
        const closedByUserId = closer.userId;
        const countedCash = input.counted.find((c) => c.method === 'cash')?.countedMinor ?? null;
        // The seal: the terminal's grand totals and the hash of its last document before this close.
        const chain = deps.journal.head(shift.value.terminal);
        const seal = chain && deps.journal.seal(chain);
        const sealed = {
          sealGrandSalesMinor: seal?.grandSalesMinor ?? null,
          sealGrandRefundsMinor: seal?.grandRefundsMinor ?? null,
          sealGrandTaxMinor: seal?.grandTaxMinor ?? null,
          sealLastDocumentHash: seal?.lastDocumentHash ?? null,
        };
        const closed: ShiftRow = {
          ...shift.value,
          closedAt,
          closedBy,
          closedByUserId,
          countedCashMinor: countedCash,
          ...sealed,
        };
        const report = reportOf(closed);
        if (!report.ok) return report;
        closeShift.run({ id: shiftId, closedAt, closedBy, closedByUserId, countedCash, ...sealed });
        const counted = input.counted.map((c) => ({ method: c.method, countedMinor: c.countedMinor }));
        for (const c of counted) insertCount.run({ shiftId, ...c });
        const document = { shiftId, closedAt, closedBy, closedByUserId, counted };
        const journal =
          chain &&
          seal &&
          deps.journal.append(chain, { kind: 'shift_close', document: { ...document, seal } }, closedAt);
        outbox.append(
          'shift_close',
          randomUUID(),
          { ...document, ...(journal && seal ? { journal, seal } : {}) },
          closedAt,
        );
        deps.onClose?.(shift.value.terminal, closedAt);
        // Counted amounts are in now: the report read after the inserts carries them.
        return reportOf(closed);
      }),

    report: (shiftId) =>
      deps.read(() => {
        const shift = findShift(shiftId);
        return shift.ok ? reportOf(shift.value) : shift;
      }),
  };
}
