// Shifts: opened with a float, cash in and out with a reason, closed with what was counted per
// tender. The X report is a snapshot of an open shift; closing returns the Z report, which the
// shift keeps answering afterwards. Expected cash = float + cash taken − cash refunded + in − out.
import { randomUUID } from 'node:crypto';
import { and, asc, count, eq, isNull, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { businessDate } from '../../src/domain/business-date.ts';
import {
  type CashMovementInput,
  type PaymentMethod,
  paymentMethods,
  type ShiftClose,
  type ShiftOpen,
} from '../../src/domain/payloads.ts';
import { cashMovements, payments, sales, shiftCounts, shifts } from '../../src/schema/sqlite.ts';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';
import type { Catalog } from './catalog.ts';
import type { Outbox } from './outbox.ts';
import { preparedInsert } from './prepared.ts';
import type { Recorded } from './sales.ts';

export interface ShiftView {
  id: string;
  branch: string;
  terminal: string;
  openedBy: string | null;
  openedAt: string;
  openingFloatMinor: number;
  businessDate: string;
  closedBy: string | null;
  closedAt: string | null;
}

export interface CashMovementView {
  id: string;
  shiftId: string;
  direction: 'in' | 'out';
  amountMinor: number;
  reason: string;
  cashier: string | null;
  occurredAt: string;
}

export interface TenderLine {
  method: PaymentMethod;
  expectedMinor: number;
  /** null in an X report and for a tender that was not counted at close. */
  countedMinor: number | null;
  /** counted − expected: negative is a shortage. */
  differenceMinor: number | null;
}

export interface ShiftReport {
  /** `x`: a snapshot of an open shift; `z`: the final report of a closed one. */
  kind: 'x' | 'z';
  shift: ShiftView;
  salesCount: number;
  salesTotalMinor: number;
  refundsCount: number;
  refundsTotalMinor: number;
  /** Tax of sales less tax of refunds. */
  taxMinor: number;
  cashInMinor: number;
  cashOutMinor: number;
  tenders: TenderLine[];
  generatedAt: string;
}

export interface ShiftsDeps {
  db: BetterSQLite3Database;
  transaction: <T>(fn: () => T) => T;
  catalog: Catalog;
  outbox: Outbox;
  branch: string;
  now: () => Date;
  idTaken: (id: string) => boolean;
}

export interface ShiftsService {
  open(input: ShiftOpen): EdgeOutcome<Recorded<ShiftView>>;
  moveCash(shiftId: string, input: CashMovementInput): EdgeOutcome<Recorded<CashMovementView>>;
  close(shiftId: string, input: ShiftClose): EdgeOutcome<ShiftReport>;
  report(shiftId: string): EdgeOutcome<ShiftReport>;
}

export function createShiftsService(deps: ShiftsDeps): ShiftsService {
  const { db, outbox } = deps;
  const id = sql.placeholder('id');
  const insertShift = preparedInsert(db, shifts);
  const insertMovement = preparedInsert(db, cashMovements);
  const insertCount = preparedInsert(db, shiftCounts);
  const shiftRow = db.select().from(shifts).where(eq(shifts.id, id)).prepare();
  const openOnTerminal = db
    .select({ id: shifts.id })
    .from(shifts)
    .where(and(eq(shifts.terminal, sql.placeholder('terminal')), isNull(shifts.closedAt)))
    .prepare();
  const movementRow = db.select().from(cashMovements).where(eq(cashMovements.id, id)).prepare();
  const documentTotals = db
    .select({
      kind: sales.kind,
      n: count(),
      total: sql<number>`coalesce(sum(${sales.totalMinor}), 0)`,
      tax: sql<number>`coalesce(sum(${sales.taxMinor}), 0)`,
    })
    .from(sales)
    .where(eq(sales.shiftId, id))
    .groupBy(sales.kind)
    .prepare();
  // What each tender took in: sales add what was kept (net of change), refunds take back what they paid.
  const tenderTotals = db
    .select({
      method: payments.method,
      net: sql<number>`coalesce(sum(CASE WHEN ${sales.kind} = 'sale' THEN ${payments.amountMinor} ELSE -${payments.amountMinor} END), 0)`,
    })
    .from(payments)
    .innerJoin(sales, eq(sales.id, payments.saleId))
    .where(eq(sales.shiftId, id))
    .groupBy(payments.method)
    .prepare();
  const cashTotals = db
    .select({
      direction: cashMovements.direction,
      total: sql<number>`coalesce(sum(${cashMovements.amountMinor}), 0)`,
    })
    .from(cashMovements)
    .where(eq(cashMovements.shiftId, id))
    .groupBy(cashMovements.direction)
    .prepare();
  const counts = db
    .select()
    .from(shiftCounts)
    .where(eq(shiftCounts.shiftId, id))
    .orderBy(asc(shiftCounts.method))
    .prepare();

  const view = (row: typeof shifts.$inferSelect): ShiftView => ({
    id: row.id,
    branch: row.branchCode,
    terminal: row.terminal,
    openedBy: row.openedBy,
    openedAt: row.openedAt,
    openingFloatMinor: row.openingFloatMinor,
    businessDate: row.businessDate,
    closedBy: row.closedBy,
    closedAt: row.closedAt,
  });

  function buildReport(row: typeof shifts.$inferSelect): ShiftReport {
    const docs = documentTotals.all({ id: row.id });
    const sold = docs.find((d) => d.kind === 'sale');
    const refunded = docs.find((d) => d.kind === 'refund');
    const cash = cashTotals.all({ id: row.id });
    const cashIn = cash.find((c) => c.direction === 'in')?.total ?? 0;
    const cashOut = cash.find((c) => c.direction === 'out')?.total ?? 0;
    const taken = new Map(tenderTotals.all({ id: row.id }).map((t) => [t.method, t.net]));
    const counted = new Map(counts.all({ id: row.id }).map((c) => [c.method, c.countedMinor]));
    const closed = row.closedAt !== null;
    const tenders = paymentMethods
      .filter((m) => m === 'cash' || taken.has(m) || counted.has(m))
      .map((method): TenderLine => {
        const expectedMinor =
          (taken.get(method) ?? 0) + (method === 'cash' ? row.openingFloatMinor + cashIn - cashOut : 0);
        const countedMinor = closed ? (counted.get(method) ?? null) : null;
        return {
          method,
          expectedMinor,
          countedMinor,
          differenceMinor: countedMinor === null ? null : countedMinor - expectedMinor,
        };
      });
    return {
      kind: closed ? 'z' : 'x',
      shift: view(row),
      salesCount: sold?.n ?? 0,
      salesTotalMinor: sold?.total ?? 0,
      refundsCount: refunded?.n ?? 0,
      refundsTotalMinor: refunded?.total ?? 0,
      taxMinor: (sold?.tax ?? 0) - (refunded?.tax ?? 0),
      cashInMinor: cashIn,
      cashOutMinor: cashOut,
      tenders,
      generatedAt: deps.now().toISOString(),
    };
  }

  const findShift = (shiftId: string): EdgeOutcome<typeof shifts.$inferSelect> => {
    const row = shiftRow.get({ id: shiftId });
    return row ? accept(row) : refuseWith('shift_not_found', `no shift ${shiftId} on this edge`);
  };
  const closedRefusal = (row: typeof shifts.$inferSelect) =>
    refuseWith('shift_closed', `shift ${row.id} was closed at ${row.closedAt}`, { closedAt: row.closedAt });

  return {
    open: (input) =>
      deps.transaction(() => {
        if (input.id !== undefined) {
          const existing = shiftRow.get({ id: input.id });
          if (existing) return accept({ created: false, value: view(existing) });
          if (deps.idTaken(input.id)) return refuseWith('id_conflict', `id ${input.id} is already used`);
        }
        const current = openOnTerminal.get({ terminal: input.terminal });
        if (current) {
          return refuseWith(
            'shift_already_open',
            `terminal ${input.terminal} already has an open shift; close it first`,
            { shiftId: current.id },
          );
        }
        const at = deps.now();
        const row: typeof shifts.$inferSelect = {
          id: input.id ?? randomUUID(),
          branchCode: deps.branch,
          terminal: input.terminal,
          deviceId: null,
          openedBy: input.cashier ?? null,
          openedAt: at.toISOString(),
          openingFloatMinor: input.openingFloatMinor,
          businessDate: businessDate(at, deps.catalog.branchContext(deps.branch).timeZone),
          closedBy: null,
          closedAt: null,
          countedCashMinor: null,
        };
        insertShift.run(row);
        const shift = view(row);
        outbox.append('shift_open', shift.id, shift, shift.openedAt);
        return accept({ created: true, value: shift });
      }),

    moveCash: (shiftId, input) =>
      deps.transaction(() => {
        if (input.id !== undefined) {
          const existing = movementRow.get({ id: input.id });
          if (existing?.shiftId === shiftId) return accept({ created: false, value: existing });
          if (existing || deps.idTaken(input.id))
            return refuseWith('id_conflict', `id ${input.id} is already used`);
        }
        const shift = findShift(shiftId);
        if (!shift.ok) return shift;
        if (shift.value.closedAt !== null) return closedRefusal(shift.value);
        const movement: CashMovementView = {
          id: input.id ?? randomUUID(),
          shiftId,
          direction: input.direction,
          amountMinor: input.amountMinor,
          reason: input.reason,
          cashier: input.cashier ?? null,
          occurredAt: deps.now().toISOString(),
        };
        insertMovement.run(movement);
        outbox.append('cash_movement', movement.id, movement, movement.occurredAt);
        return accept({ created: true, value: movement });
      }),

    close: (shiftId, input) =>
      deps.transaction(() => {
        const shift = findShift(shiftId);
        if (!shift.ok) return shift;
        if (shift.value.closedAt !== null) return closedRefusal(shift.value);
        const closedAt = deps.now().toISOString();
        const cash = input.counted.find((c) => c.method === 'cash')?.countedMinor ?? null;
        db.update(shifts)
          .set({ closedAt, closedBy: input.cashier ?? null, countedCashMinor: cash })
          .where(eq(shifts.id, shiftId))
          .run();
        for (const c of input.counted)
          insertCount.run({ shiftId, method: c.method, countedMinor: c.countedMinor });
        const report = buildReport({ ...shift.value, closedAt, closedBy: input.cashier ?? null });
        outbox.append(
          'shift_close',
          randomUUID(),
          { shiftId, closedAt, closedBy: input.cashier ?? null, counted: input.counted },
          closedAt,
        );
        return accept(report);
      }),

    // One transaction, so the report's figures come from one snapshot even with a second process writing.
    report: (shiftId) =>
      deps.transaction(() => {
        const shift = findShift(shiftId);
        return shift.ok ? accept(buildReport(shift.value)) : shift;
      }),
  };
}
