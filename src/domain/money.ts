// Money in integer minor units (cents, yen, fils…) of the tenant's ISO 4217 currency. Arithmetic
// that scales or divides goes through bigint, so no floating point is ever on a money path
// (test/unit/no-float-money.test.ts fails the build if one appears in this folder).

/** An amount in minor units: a safe integer (|n| < 2^53), never a fraction. */
export type Minor = number;

export class MoneyError extends Error {
  override name = 'MoneyError';
}

/** Checks that `value` is a safe integer amount of minor units. */
export function minor(value: number, what = 'amount'): Minor {
  if (!Number.isSafeInteger(value)) throw new MoneyError(`${what} must be a whole number of minor units`);
  return value;
}

/** Sum of amounts; throws rather than lose precision beyond 2^53. */
export function sum(amounts: readonly Minor[]): Minor {
  let total = 0n;
  for (const a of amounts) total += BigInt(minor(a));
  return toMinor(total, 'sum');
}

/** Back from bigint, refusing anything outside the safe-integer range. */
export function toMinor(value: bigint, what = 'amount'): Minor {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MoneyError(`${what} is too large`);
  }
  return Number(value);
}

/**
 * numerator / denominator rounded half away from zero (half-up on magnitudes): the one rounding
 * rule of the domain. 2.5 → 3, −2.5 → −3, 2.4999 → 2. `denominator` must be positive.
 */
export function divRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new MoneyError('division by a non-positive number');
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  const rounded = (magnitude * 2n + denominator) / (denominator * 2n);
  return negative ? -rounded : rounded;
}

/** Quantity in thousandths × unit price in minor units, rounded half-up to minor units. */
export function extend(qtyMilli: number, unitPriceMinor: Minor): Minor {
  if (!Number.isSafeInteger(qtyMilli)) throw new MoneyError('quantity must be whole thousandths');
  return toMinor(divRoundHalfUp(BigInt(qtyMilli) * BigInt(minor(unitPriceMinor)), 1000n), 'line amount');
}

/** ISO 4217 minor-unit digits of a currency (JPY 0, EUR 2, KWD 3), from the runtime's tables. */
export function currencyDigits(currency: string): number {
  return (
    new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2
  );
}
