// Property-based tests of the money and tax rules against independent exact arithmetic.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyDigits, divRoundHalfUp, extend, MoneyError, sum } from '../../src/domain/money.ts';
import { lineTax } from '../../src/domain/tax.ts';

/** Reference half-up rounding of n/d (d > 0) by remainder, written independently of the code under test. */
function referenceHalfUp(n: bigint, d: bigint): bigint {
  const sign = n < 0n ? -1n : 1n;
  const m = n * sign;
  const q = m / d;
  const r = m - q * d;
  return sign * (r * 2n >= d ? q + 1n : q);
}

const amount = fc.integer({ min: 0, max: 10_000_000_000 });
const rate = fc.integer({ min: 0, max: 100_000 });

describe('money', () => {
  it('rounds half away from zero', () => {
    expect(divRoundHalfUp(5n, 2n)).toBe(3n);
    expect(divRoundHalfUp(-5n, 2n)).toBe(-3n);
    expect(divRoundHalfUp(4999n, 2000n)).toBe(2n);
    expect(divRoundHalfUp(3n, 2n)).toBe(2n);
    expect(() => divRoundHalfUp(1n, 0n)).toThrow(MoneyError);
  });

  it('agrees with the reference rounding everywhere', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
        fc.bigInt({ min: 1n, max: 10n ** 9n }),
        (n, d) => {
          expect(divRoundHalfUp(n, d)).toBe(referenceHalfUp(n, d));
        },
      ),
    );
  });

  it('extends quantity in thousandths by unit price, rounding half-up', () => {
    expect(extend(2000, 450)).toBe(900);
    expect(extend(1500, 199)).toBe(299); // 298.5 → 299
    expect(extend(333, 100)).toBe(33); // 33.3 → 33
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), (q, p) => {
        expect(BigInt(extend(q, p))).toBe(referenceHalfUp(BigInt(q) * BigInt(p), 1000n));
        expect(extend(1000, p)).toBe(p);
      }),
    );
  });

  it('sums exactly and refuses to lose precision', () => {
    fc.assert(
      fc.property(fc.array(amount, { maxLength: 50 }), (xs) => {
        expect(BigInt(sum(xs))).toBe(xs.reduce((a, x) => a + BigInt(x), 0n));
      }),
    );
    expect(() => sum([Number.MAX_SAFE_INTEGER, 1])).toThrow(/too large/);
    expect(() => sum([0.5])).toThrow(/whole number/);
  });

  it('knows each currency’s minor-unit digits', () => {
    expect(currencyDigits('EUR')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KWD')).toBe(3);
  });
});

describe('tax per line', () => {
  it('matches the worked examples in src/domain/tax.ts', () => {
    expect(lineTax(1000, 2000, false)).toEqual({ baseMinor: 1000, taxMinor: 200, totalMinor: 1200 });
    expect(lineTax(333, 2000, false)).toEqual({ baseMinor: 333, taxMinor: 67, totalMinor: 400 });
    expect(lineTax(1200, 2000, true)).toEqual({ baseMinor: 1000, taxMinor: 200, totalMinor: 1200 });
    expect(lineTax(999, 2000, true)).toEqual({ baseMinor: 832, taxMinor: 167, totalMinor: 999 });
    expect(lineTax(5, 1000, false)).toEqual({ baseMinor: 5, taxMinor: 1, totalMinor: 6 });
  });

  it('exclusive: tax is the half-up rounding of net × rate, added on top', () => {
    fc.assert(
      fc.property(amount, rate, (net, bp) => {
        const t = lineTax(net, bp, false);
        expect(BigInt(t.taxMinor)).toBe(referenceHalfUp(BigInt(net) * BigInt(bp), 10_000n));
        expect(t.baseMinor).toBe(net);
        expect(t.totalMinor).toBe(t.baseMinor + t.taxMinor);
      }),
    );
  });

  it('inclusive: the tax is carved out of the amount, which stays the total', () => {
    fc.assert(
      fc.property(amount, rate, (gross, bp) => {
        const t = lineTax(gross, bp, true);
        expect(BigInt(t.taxMinor)).toBe(referenceHalfUp(BigInt(gross) * BigInt(bp), 10_000n + BigInt(bp)));
        expect(t.totalMinor).toBe(gross);
        expect(t.baseMinor + t.taxMinor).toBe(gross);
        expect(t.taxMinor).toBeLessThanOrEqual(gross);
      }),
    );
  });

  it('inclusive and exclusive agree to within one minor unit on the same price', () => {
    fc.assert(
      fc.property(amount, rate, (base, bp) => {
        const exclusive = lineTax(base, bp, false);
        const inclusive = lineTax(exclusive.totalMinor, bp, true);
        expect(Math.abs(inclusive.taxMinor - exclusive.taxMinor)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('refuses fractions and impossible rates', () => {
    expect(() => lineTax(10.5, 2000, false)).toThrow(MoneyError);
    expect(() => lineTax(10, -1, false)).toThrow(/basis points/);
    expect(() => lineTax(10, 100_001, true)).toThrow(/basis points/);
  });
});
