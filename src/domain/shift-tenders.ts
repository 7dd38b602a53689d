// What a shift's drawer should hold per tender, set against what was counted at close: the one
// definition used by the edge's X and Z reports and HQ's Z report. Expected cash = opening float +
// cash taken (net of change) − cash refunded + cash in − cash out; other tenders are what they took
// less what they refunded. Sums are checked (money.ts), never wrapped.
import { type Minor, sum } from './money.ts';
import { type PaymentMethod, paymentMethods } from './payloads.ts';

export interface TenderTotals {
  /** What sales kept in this tender (payments net of change). */
  takenMinor: Minor;
  /** What refunds paid back in this tender. */
  refundedMinor: Minor;
}

export interface TenderLine {
  method: PaymentMethod;
  expectedMinor: Minor;
  /** null in an X report and for a tender that was not counted at close. */
  countedMinor: Minor | null;
  /** counted − expected: negative is a shortage. */
  differenceMinor: Minor | null;
}

export interface DrawerFigures {
  openingFloatMinor: Minor;
  cashInMinor: Minor;
  cashOutMinor: Minor;
  taken: ReadonlyMap<string, TenderTotals>;
  /** What was counted per tender at close; undefined while the shift is open (an X report). */
  counted: ReadonlyMap<string, Minor> | undefined;
}

/** Cash always, then every other tender that took, refunded or was counted, in the usual order. */
export function tenderLines(d: DrawerFigures): TenderLine[] {
  return paymentMethods
    .filter((m) => m === 'cash' || d.taken.has(m) || d.counted?.has(m))
    .map((method): TenderLine => {
      const t = d.taken.get(method);
      const drawer = method === 'cash' ? [d.openingFloatMinor, d.cashInMinor, -d.cashOutMinor] : [];
      const expectedMinor = sum([t?.takenMinor ?? 0, -(t?.refundedMinor ?? 0), ...drawer]);
      const countedMinor = d.counted ? (d.counted.get(method) ?? null) : null;
      return {
        method,
        expectedMinor,
        countedMinor,
        differenceMinor: countedMinor === null ? null : sum([countedMinor, -expectedMinor]),
      };
    });
}
