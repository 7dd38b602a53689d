// Tax is computed per line and rounded half-up per line (SPEC §9); the rate (basis points) and the
// inclusive flag are copied onto each line so a receipt never changes when the catalog does.
//
// Worked examples (rate 2000 bp = 20 %):
//   exclusive, net 1000 → tax = 1000 × 2000 / 10000 = 200        → line total 1200
//   exclusive, net 333  → tax = 66.6  → 67                        → line total 400
//   inclusive, 1200     → tax = 1200 × 2000 / 12000 = 200         → base 1000, line total 1200
//   inclusive, 999      → tax = 166.5 → 167 (half-up)             → base 832,  line total 999
//   exclusive, net 5 at 1000 bp → tax = 0.5 → 1 (half-up)         → line total 6
import { divRoundHalfUp, type Minor, MoneyError, minor, toMinor } from './money.ts';

/** A rate in basis points: 2000 = 20 %. */
export type BasisPoints = number;

export interface LineTax {
  /** Amount the tax is computed on (excludes the tax). */
  baseMinor: Minor;
  taxMinor: Minor;
  /** What the customer pays for the line. */
  totalMinor: Minor;
}

export function checkRate(rateBp: number): BasisPoints {
  if (!Number.isSafeInteger(rateBp) || rateBp < 0 || rateBp > 100_000) {
    throw new MoneyError('tax rate must be whole basis points from 0 to 100000');
  }
  return rateBp;
}

/**
 * Tax on one line's net amount (after its discount). Exclusive: tax is added on top. Inclusive: the
 * amount already contains the tax, which is carved out of it.
 */
export function lineTax(netMinor: Minor, rateBp: BasisPoints, inclusive: boolean): LineTax {
  const net = BigInt(minor(netMinor, 'line amount'));
  const rate = BigInt(checkRate(rateBp));
  if (inclusive) {
    const tax = divRoundHalfUp(net * rate, 10_000n + rate);
    return { baseMinor: toMinor(net - tax), taxMinor: toMinor(tax), totalMinor: toMinor(net) };
  }
  const tax = divRoundHalfUp(net * rate, 10_000n);
  return { baseMinor: toMinor(net), taxMinor: toMinor(tax), totalMinor: toMinor(net + tax) };
}
