// Sales and refunds built from cashier input and the catalog: the rules of SPEC §7 and §9, with
// property tests that totals are sums of lines and refunds never exceed (and, in full, exactly
// return) what was sold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_AMOUNT_MINOR, MAX_QTY_MILLI } from '../../src/domain/bounds.ts';
import {
  type RefundInput,
  refundInputSchema,
  type SaleInput,
  saleInputSchema,
} from '../../src/domain/payloads.ts';
import { formatReceiptNo, parseReceiptNo } from '../../src/domain/receipt.ts';
import { buildRefund } from '../../src/domain/refund.ts';
import { type BuiltSale, buildSale, type CatalogProduct, type SaleContext } from '../../src/domain/sale.ts';

const catalog: CatalogProduct[] = [
  {
    id: 'p1',
    sku: 'COFFEE-250',
    name: 'Coffee 250 g',
    priceMinor: 650,
    taxRateBp: 700,
    taxInclusive: true,
    active: true,
  },
  { id: 'p2', sku: 'MUG', name: 'Mug', priceMinor: 899, taxRateBp: 2000, taxInclusive: false, active: true },
  {
    id: 'p3',
    sku: 'OLD',
    name: 'Old blend',
    priceMinor: 100,
    taxRateBp: 700,
    taxInclusive: true,
    active: false,
  },
];
const barcodes: Record<string, string> = { '4006381333931': 'p2' };

const ctx: SaleContext = {
  currency: 'EUR',
  openLinesTaxInclusive: false,
  findProduct: (ref) =>
    catalog.find((p) =>
      ref.by === 'sku'
        ? p.sku === ref.value
        : ref.by === 'productId'
          ? p.id === ref.value
          : barcodes[ref.value] === p.id,
    ),
};

function sale(input: Omit<SaleInput, 'terminal'>): BuiltSale {
  const built = buildSale(saleInputSchema.parse({ terminal: 'T1', ...input }), ctx);
  if (!built.ok) throw new Error(`${built.error.code}: ${built.error.message}`);
  return built.value;
}

describe('building a sale', () => {
  it('prices the SPEC §7 example: a catalog line and an open-price line, cash with change', () => {
    const s = sale({
      lines: [
        { sku: 'COFFEE-250', qtyMilli: 2000 },
        { name: 'Gift wrap', unitPriceMinor: 150, qtyMilli: 1000, taxRateBp: 2000 },
      ],
      payments: [{ method: 'cash', amountMinor: 2000 }],
    });
    // Coffee: 2 × 650 = 1300 incl. 7 % → tax 85 (85.05); gift wrap: 150 + 20 % = 30 → 180.
    expect(s.lines.map((l) => [l.amountMinor, l.taxMinor, l.totalMinor])).toEqual([
      [1300, 85, 1300],
      [150, 30, 180],
    ]);
    expect(s).toMatchObject({
      subtotalMinor: 1450,
      discountMinor: 0,
      taxMinor: 115,
      totalMinor: 1480,
      changeMinor: 520,
    });
    expect(s.payments).toEqual([
      { method: 'cash', amountMinor: 1480, tenderedMinor: 2000, changeMinor: 520, reference: null },
    ]);
    expect(s.flags).toEqual(['open_price']);
  });

  it('weighs goods in thousandths and applies line discounts before tax', () => {
    const s = sale({
      lines: [{ barcode: '4006381333931', qtyMilli: 1500, discountMinor: 49 }],
      payments: [{ method: 'card', amountMinor: 1560 }],
    });
    // 1.5 × 899 = 1348.5 → 1349; − 49 = 1300; + 20 % tax = 260 → total 1560.
    expect(s.lines[0]).toMatchObject({
      amountMinor: 1349,
      discountMinor: 49,
      taxMinor: 260,
      totalMinor: 1560,
    });
    expect(
      buildSale(
        saleInputSchema.parse({
          terminal: 'T1',
          lines: [{ barcode: '4006381333931', qtyMilli: 1500, discountMinor: 49 }],
          payments: [{ method: 'card', amountMinor: 1559 }],
        }),
        ctx,
      ),
    ).toMatchObject({
      ok: false,
      error: { code: 'payment_short' },
    });
  });

  it('flags price overrides and deactivated products instead of refusing them', () => {
    const s = sale({
      lines: [
        { sku: 'MUG', qtyMilli: 1000, unitPriceMinor: 500 },
        { sku: 'OLD', qtyMilli: 1000 },
      ],
      payments: [{ method: 'cash', amountMinor: 700 }],
    });
    expect(s.lines.map((l) => l.flags)).toEqual([['price_override'], ['inactive_product']]);
    expect(s.flags).toEqual(['price_override', 'inactive_product']);
  });

  it.each([
    [
      { lines: [{ sku: 'NOPE', qtyMilli: 1000 }], payments: [{ method: 'cash', amountMinor: 1 }] },
      'unknown_product',
    ],
    [
      {
        lines: [{ sku: 'MUG', qtyMilli: 1000, discountMinor: 900 }],
        payments: [{ method: 'cash', amountMinor: 1 }],
      },
      'invalid_line',
    ],
    [
      {
        currency: 'USD',
        lines: [{ sku: 'MUG', qtyMilli: 1000 }],
        payments: [{ method: 'cash', amountMinor: 2000 }],
      },
      'wrong_currency',
    ],
    [
      { lines: [{ sku: 'MUG', qtyMilli: 1000 }], payments: [{ method: 'cash', amountMinor: 1000 }] },
      'payment_short',
    ],
    [
      { lines: [{ sku: 'MUG', qtyMilli: 1000 }], payments: [{ method: 'card', amountMinor: 2000 }] },
      'change_not_cash',
    ],
  ] as const)('refuses %j with %s', (input, code) => {
    const built = buildSale(saleInputSchema.parse({ terminal: 'T1', ...input }), ctx);
    expect(built).toMatchObject({ ok: false, error: { code } });
  });

  it('records a sale that comes to zero without payments, and refuses amounts beyond 2^53 as a value', () => {
    const free = sale({ lines: [{ sku: 'MUG', qtyMilli: 1000, unitPriceMinor: 0 }], payments: [] });
    expect(free).toMatchObject({ totalMinor: 0, changeMinor: 0, payments: [] });
    const short = buildSale(
      saleInputSchema.parse({ terminal: 'T1', lines: [{ sku: 'MUG', qtyMilli: 1000 }], payments: [] }),
      ctx,
    );
    expect(short).toMatchObject({ ok: false, error: { code: 'payment_short' } });
    const huge = buildSale(
      saleInputSchema.parse({
        terminal: 'T1',
        lines: [{ name: 'Yacht', unitPriceMinor: MAX_AMOUNT_MINOR, qtyMilli: MAX_QTY_MILLI, taxRateBp: 0 }],
        payments: [{ method: 'cash', amountMinor: 1 }],
      }),
      ctx,
    );
    expect(huge).toMatchObject({ ok: false, error: { code: 'amount_too_large' } });
  });

  it('gives change only from cash when card and cash are mixed', () => {
    const s = sale({
      lines: [{ sku: 'MUG', qtyMilli: 1000 }],
      payments: [
        { method: 'card', amountMinor: 1000 },
        { method: 'cash', amountMinor: 500 },
      ],
    });
    expect(s.totalMinor).toBe(1079);
    expect(s.changeMinor).toBe(421);
    expect(s.payments.map((p) => [p.method, p.amountMinor, p.changeMinor])).toEqual([
      ['card', 1000, 0],
      ['cash', 79, 421],
    ]);
  });

  it.each([
    { terminal: 'T1', lines: [], payments: [{ method: 'cash', amountMinor: 1 }] },
    { terminal: 'T1', lines: [{ sku: 'MUG', qtyMilli: 0 }], payments: [{ method: 'cash', amountMinor: 1 }] },
    {
      terminal: 'T1',
      lines: [{ sku: 'MUG', qtyMilli: -1000 }],
      payments: [{ method: 'cash', amountMinor: 1 }],
    },
    {
      terminal: 'T1',
      lines: [{ name: 'X', unitPriceMinor: -5, qtyMilli: 1000, taxRateBp: 0 }],
      payments: [{ method: 'cash', amountMinor: 1 }],
    },
    {
      terminal: 'T1',
      lines: [{ sku: 'MUG', barcode: '1', qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 1 }],
    },
    {
      terminal: 'T1',
      lines: [{ sku: 'MUG', qtyMilli: 1.5 }],
      payments: [{ method: 'cash', amountMinor: 1 }],
    },
    {
      terminal: 'T1',
      lines: [{ sku: 'MUG', qtyMilli: 1000 }],
      payments: [{ method: 'cheque', amountMinor: 1 }],
    },
    {
      terminal: 'T1',
      lines: [{ sku: 'MUG', qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 0 }],
    },
    {
      terminal: 't1',
      lines: [{ sku: 'MUG', qtyMilli: 1000 }],
      payments: [{ method: 'cash', amountMinor: 1 }],
    },
  ])('the payload schema refuses %j', (body) => {
    expect(saleInputSchema.safeParse(body).success).toBe(false);
  });

  it('totals are always the sums of the lines (property)', () => {
    const line = fc.oneof(
      fc.record({ sku: fc.constantFrom('COFFEE-250', 'MUG'), qtyMilli: fc.integer({ min: 1, max: 50_000 }) }),
      fc.record({
        name: fc.constant('Open'),
        unitPriceMinor: fc.integer({ min: 0, max: 1_000_000 }),
        qtyMilli: fc.integer({ min: 1, max: 50_000 }),
        taxRateBp: fc.integer({ min: 0, max: 30_000 }),
        taxInclusive: fc.boolean(),
      }),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), (lines) => {
        const s = sale({ lines, payments: [{ method: 'cash', amountMinor: 10 ** 12 }] });
        expect(s.totalMinor).toBe(s.lines.reduce((n, l) => n + l.totalMinor, 0));
        expect(s.taxMinor).toBe(s.lines.reduce((n, l) => n + l.taxMinor, 0));
        const exclusiveTax = s.lines.filter((l) => !l.taxInclusive).reduce((n, l) => n + l.taxMinor, 0);
        expect(s.totalMinor).toBe(s.subtotalMinor - s.discountMinor + exclusiveTax);
        expect(s.changeMinor).toBe(10 ** 12 - s.totalMinor);
      }),
    );
  });
});

describe('refunds', () => {
  const original = sale({
    lines: [
      { sku: 'COFFEE-250', qtyMilli: 3000, discountMinor: 100 },
      { sku: 'MUG', qtyMilli: 1000 },
    ],
    payments: [{ method: 'cash', amountMinor: 5000 }],
  });
  const refund = (lines: RefundInput['lines'], paid: number, already = new Map<number, number>()) =>
    buildRefund(
      refundInputSchema.parse({
        terminal: 'T1',
        lines,
        payments: paid > 0 ? [{ method: 'cash', amountMinor: paid }] : [],
      }),
      original.lines,
      already,
    );

  it('refunds part of a line by quantity, discount and tax shared out', () => {
    const r = refund([{ lineNo: 1, qtyMilli: 1000 }], 617);
    // Line 1: 1950 − 100 = 1850 incl. 7 % (tax 121); one third: amount 650, discount 33, tax 40, total 617.
    expect(r).toMatchObject({
      ok: true,
      value: {
        totalMinor: 617,
        lines: [{ originalLineNo: 1, amountMinor: 650, discountMinor: 33, taxMinor: 40, totalMinor: 617 }],
      },
    });
  });

  it('refuses more than was sold over all refunds, unknown lines and a mismatched pay-back', () => {
    expect(refund([{ lineNo: 1, qtyMilli: 2500 }], 0, new Map([[1, 1000]]))).toMatchObject({
      ok: false,
      error: { code: 'refund_exceeds_sold' },
    });
    expect(
      refund(
        [
          { lineNo: 1, qtyMilli: 2000 },
          { lineNo: 1, qtyMilli: 1001 },
        ],
        0,
      ),
    ).toMatchObject({
      ok: false,
      error: { code: 'refund_exceeds_sold' },
    });
    expect(refund([{ lineNo: 9, qtyMilli: 1 }], 0)).toMatchObject({
      ok: false,
      error: { code: 'unknown_line' },
    });
    expect(refund([{ lineNo: 2, qtyMilli: 1000 }], 1)).toMatchObject({
      ok: false,
      error: { code: 'refund_payment_mismatch' },
    });
  });

  it('never gives a negative refund step, even on a heavily discounted weighed line', () => {
    const weighed = sale({
      lines: [{ name: 'Cheese', unitPriceMinor: 199, qtyMilli: 1500, taxRateBp: 0, discountMinor: 298 }],
      payments: [{ method: 'cash', amountMinor: 1 }],
    });
    expect(weighed.totalMinor).toBe(1);
    let already = new Map<number, number>();
    let back = 0;
    for (const qty of [500, 500, 500]) {
      const dry = buildRefund(
        refundInputSchema.parse({ terminal: 'T1', lines: [{ lineNo: 1, qtyMilli: qty }], payments: [] }),
        weighed.lines,
        already,
      );
      const due = dry.ok ? dry.value.totalMinor : (dry.error.details as { totalMinor: number }).totalMinor;
      expect(due).toBeGreaterThanOrEqual(0);
      const r = buildRefund(
        refundInputSchema.parse({
          terminal: 'T1',
          lines: [{ lineNo: 1, qtyMilli: qty }],
          payments: due > 0 ? [{ method: 'cash', amountMinor: due }] : [],
        }),
        weighed.lines,
        already,
      );
      if (!r.ok) throw new Error(r.error.message);
      for (const l of r.value.lines) expect(l.amountMinor).toBeGreaterThanOrEqual(l.discountMinor);
      back += r.value.totalMinor;
      already = new Map([[1, (already.get(1) ?? 0) + qty]]);
    }
    expect(back).toBe(1);
  });

  it('refunding everything in any number of steps returns exactly the sale (property)', () => {
    const split = (total: number) =>
      fc.array(fc.integer({ min: 1, max: total }), { minLength: 1, maxLength: 6 }).map((cuts) => {
        const parts: number[] = [];
        let left = total;
        for (const c of cuts) {
          if (left === 0) break;
          const take = Math.min(c, left);
          parts.push(take);
          left -= take;
        }
        if (left > 0) parts.push(left);
        return parts;
      });
    fc.assert(
      fc.property(split(3000), split(1000), (coffee, mug) => {
        const already = new Map<number, number>();
        const totals = { amount: 0, discount: 0, tax: 0, total: 0 };
        const steps = Math.max(coffee.length, mug.length);
        for (let i = 0; i < steps; i++) {
          const lines = [
            ...(coffee[i] ? [{ lineNo: 1, qtyMilli: coffee[i]! }] : []),
            ...(mug[i] ? [{ lineNo: 2, qtyMilli: mug[i]! }] : []),
          ];
          const dry = buildRefund(
            refundInputSchema.parse({
              terminal: 'T1',
              lines,
              payments: [{ method: 'cash', amountMinor: 1 }],
            }),
            original.lines,
            already,
          );
          const due = dry.ok
            ? dry.value.totalMinor
            : (dry.error.details as { totalMinor: number }).totalMinor;
          const r = refund(lines, due, already);
          if (!r.ok) throw new Error(r.error.message);
          for (const l of r.value.lines)
            already.set(l.originalLineNo, (already.get(l.originalLineNo) ?? 0) + l.qtyMilli);
          totals.amount += r.value.subtotalMinor;
          totals.discount += r.value.discountMinor;
          totals.tax += r.value.taxMinor;
          totals.total += r.value.totalMinor;
        }
        expect(totals).toEqual({
          amount: original.subtotalMinor,
          discount: original.discountMinor,
          tax: original.taxMinor,
          total: original.totalMinor,
        });
        expect(refund([{ lineNo: 1, qtyMilli: 1 }], 0, already)).toMatchObject({
          ok: false,
          error: { code: 'refund_exceeds_sold' },
        });
      }),
    );
  });
});

describe('receipt numbers', () => {
  it('formats and parses per-terminal series, refunds in their own', () => {
    expect(formatReceiptNo('B01', 'T1', 'sale', 42)).toBe('B01-T1-000042');
    expect(formatReceiptNo('B01', 'T1', 'refund', 7)).toBe('B01-T1-R000007');
    expect(parseReceiptNo('B01-T1-R000007')).toEqual({
      branch: 'B01',
      terminal: 'T1',
      series: 'refund',
      seq: 7,
    });
    expect(parseReceiptNo('MAIN-T_2-1234567')).toEqual({
      branch: 'MAIN',
      terminal: 'T_2',
      series: 'sale',
      seq: 1234567,
    });
    expect(parseReceiptNo('b01-T1-000001')).toBeUndefined();
    expect(() => formatReceiptNo('B01', 'T1', 'sale', 0)).toThrow();
  });
});
