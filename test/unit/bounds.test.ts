// Each bound of src/domain/bounds.ts at its edge, in every schema that carries it: the largest value
// is accepted and the next one refused (edge input, sync payloads, HQ bodies). Dates and offsets at
// their limits; control characters in values and in unknown keys refused, never echoed raw.
import { describe, expect, it } from 'vitest';
import { priceInputSchema, productInputSchema } from '../../cloud/catalog/schemas.ts';
import { createTenantBody } from '../../cloud/http/admin-routes.ts';
import {
  businessDateSchema,
  instantSchema,
  MAX_AMOUNT_MINOR,
  MAX_LINES,
  MAX_QTY_MILLI,
  MAX_SHIFT_TURNOVER_MINOR,
  MAX_STOCK_DELTA_MILLI,
  MAX_TAX_RATE_BP,
  sanitizeText,
  text,
} from '../../src/domain/bounds.ts';
import {
  cashMovementSchema,
  saleInputSchema,
  shiftCloseSchema,
  shiftOpenSchema,
  stockMovementSchema,
} from '../../src/domain/payloads.ts';
import {
  cashMovementDocumentSchema,
  saleDocumentSchema,
  shiftClosedSchema,
  shiftOpenedSchema,
} from '../../src/protocol/mutations.ts';

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, v: unknown) =>
  schema.safeParse(v).success;
/** Every message of a failed parse, as one string. */
const messages = (
  schema: { safeParse(v: unknown): { error?: { issues: { message: string }[] } } },
  v: unknown,
) => (schema.safeParse(v).error?.issues ?? []).map((i) => i.message).join('; ');

/** Whether `s` holds a C0 control character (what a raw echo of the keys would carry). */
const hasControl = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20);

const ID = '0190f5c2-6b1e-7c3a-9a51-3f0b8a2d4e10';
const AT = '2026-03-02T10:00:00.000Z';

/** A one-line sale document as the edge pushes it, with `over` applied. */
function saleDoc(over: Record<string, unknown> = {}, line: Record<string, unknown> = {}) {
  return {
    id: ID,
    kind: 'sale',
    receiptNo: 'MAIN-T1-000001',
    originalSaleId: null,
    branch: 'MAIN',
    terminal: 'T1',
    shiftId: null,
    cashier: null,
    cashierUserId: null,
    customerId: null,
    currency: 'EUR',
    subtotalMinor: 100,
    discountMinor: 0,
    taxMinor: 0,
    totalMinor: 100,
    changeMinor: 0,
    occurredAt: AT,
    businessDate: '2026-03-02',
    reason: null,
    flags: [],
    lines: [
      {
        lineNo: 1,
        productId: 'p1',
        name: 'Coffee',
        qtyMilli: 1000,
        unitPriceMinor: 100,
        amountMinor: 100,
        discountMinor: 0,
        taxRateBp: 0,
        taxInclusive: true,
        taxMinor: 0,
        totalMinor: 100,
        flags: [],
        originalLineNo: null,
        ...line,
      },
    ],
    payments: [{ method: 'cash', amountMinor: 100, tenderedMinor: 100, changeMinor: 0, reference: null }],
    stockMovements: [{ id: 'm1', productId: 'p1', deltaQtyMilli: -1000 }],
    ...over,
  };
}
const shiftOpened = (over: Record<string, unknown> = {}) => ({
  id: ID,
  branch: 'MAIN',
  terminal: 'T1',
  openedBy: null,
  openedAt: AT,
  openingFloatMinor: 0,
  businessDate: '2026-03-02',
  closedBy: null,
  closedAt: null,
  ...over,
});
const cashDoc = (over: Record<string, unknown> = {}) => ({
  id: ID,
  shiftId: 's1',
  direction: 'in',
  amountMinor: 1,
  reason: 'change',
  cashier: null,
  occurredAt: AT,
  ...over,
});

describe('the bounds themselves', () => {
  it('keep every sum the product makes below 2^53', () => {
    // A document: MAX_LINES lines of the largest amount still sum exactly (totals are then bounded).
    expect(MAX_LINES * MAX_AMOUNT_MINOR).toBeLessThan(Number.MAX_SAFE_INTEGER);
    // A shift report: expected = float + taken − refunded + in − out, each term within the turnover;
    // the difference adds the counted amount.
    expect(MAX_SHIFT_TURNOVER_MINOR * 2 + MAX_AMOUNT_MINOR).toBeLessThan(Number.MAX_SAFE_INTEGER);
    // Stock on hand (int8): a document's movements at most MAX_LINES × the largest delta.
    expect(BigInt(MAX_LINES * MAX_STOCK_DELTA_MILLI) * 10_000_000n).toBeLessThan(2n ** 63n);
  });
});

describe('money and quantity at their edge', () => {
  it('edge input: the largest amount, quantity and rate pass, one more is refused', () => {
    const sale = (line: Record<string, unknown>, amountMinor = 1) => ({
      terminal: 'T1',
      lines: [{ name: 'x', unitPriceMinor: 1, qtyMilli: 1000, taxRateBp: 0, ...line }],
      payments: [{ method: 'cash', amountMinor }],
    });
    expect(ok(saleInputSchema, sale({ unitPriceMinor: MAX_AMOUNT_MINOR }))).toBe(true);
    expect(ok(saleInputSchema, sale({ unitPriceMinor: MAX_AMOUNT_MINOR + 1 }))).toBe(false);
    expect(ok(saleInputSchema, sale({ qtyMilli: MAX_QTY_MILLI }))).toBe(true);
    expect(ok(saleInputSchema, sale({ qtyMilli: MAX_QTY_MILLI + 1 }))).toBe(false);
    expect(ok(saleInputSchema, sale({ taxRateBp: MAX_TAX_RATE_BP }))).toBe(true);
    expect(ok(saleInputSchema, sale({ taxRateBp: MAX_TAX_RATE_BP + 1 }))).toBe(false);
    expect(ok(saleInputSchema, sale({}, MAX_AMOUNT_MINOR))).toBe(true);
    expect(ok(saleInputSchema, sale({}, MAX_AMOUNT_MINOR + 1))).toBe(false);
  });

  it('edge input: float, cash movement, count and stock delta', () => {
    expect(ok(shiftOpenSchema, { terminal: 'T1', openingFloatMinor: MAX_AMOUNT_MINOR })).toBe(true);
    expect(ok(shiftOpenSchema, { terminal: 'T1', openingFloatMinor: MAX_AMOUNT_MINOR + 1 })).toBe(false);
    expect(ok(shiftOpenSchema, { terminal: 'T1', openingFloatMinor: Number.MAX_SAFE_INTEGER })).toBe(false);
    const move = (amountMinor: number) => ({ direction: 'in', amountMinor, reason: 'float top-up' });
    expect(ok(cashMovementSchema, move(MAX_AMOUNT_MINOR))).toBe(true);
    expect(ok(cashMovementSchema, move(MAX_AMOUNT_MINOR + 1))).toBe(false);
    const count = (countedMinor: number) => ({ counted: [{ method: 'cash', countedMinor }] });
    expect(ok(shiftCloseSchema, count(MAX_AMOUNT_MINOR))).toBe(true);
    expect(ok(shiftCloseSchema, count(MAX_AMOUNT_MINOR + 1))).toBe(false);
    const stock = (deltaQtyMilli: number) => ({ productId: 'p1', deltaQtyMilli, reason: 'adjust' });
    expect(ok(stockMovementSchema, stock(-MAX_STOCK_DELTA_MILLI))).toBe(true);
    expect(ok(stockMovementSchema, stock(-MAX_STOCK_DELTA_MILLI - 1))).toBe(false);
    expect(ok(stockMovementSchema, stock(MAX_STOCK_DELTA_MILLI + 1))).toBe(false);
  });

  it('sync payloads: every money field, quantity and stock delta', () => {
    expect(ok(saleDocumentSchema, saleDoc())).toBe(true);
    for (const field of ['subtotalMinor', 'discountMinor', 'taxMinor', 'totalMinor', 'changeMinor']) {
      expect(ok(saleDocumentSchema, saleDoc({ [field]: MAX_AMOUNT_MINOR })), field).toBe(true);
      expect(ok(saleDocumentSchema, saleDoc({ [field]: MAX_AMOUNT_MINOR + 1 })), field).toBe(false);
    }
    for (const field of ['unitPriceMinor', 'amountMinor', 'discountMinor', 'taxMinor', 'totalMinor']) {
      expect(ok(saleDocumentSchema, saleDoc({}, { [field]: MAX_AMOUNT_MINOR })), field).toBe(true);
      expect(ok(saleDocumentSchema, saleDoc({}, { [field]: MAX_AMOUNT_MINOR + 1 })), field).toBe(false);
    }
    expect(ok(saleDocumentSchema, saleDoc({}, { qtyMilli: MAX_QTY_MILLI }))).toBe(true);
    expect(ok(saleDocumentSchema, saleDoc({}, { qtyMilli: MAX_QTY_MILLI + 1 }))).toBe(false);
    const movement = (deltaQtyMilli: number) =>
      saleDoc({ stockMovements: [{ id: 'm1', productId: 'p1', deltaQtyMilli }] });
    expect(ok(saleDocumentSchema, movement(-MAX_STOCK_DELTA_MILLI))).toBe(true);
    // The reproduction: 2^53 − 1 units in one movement.
    expect(ok(saleDocumentSchema, movement(Number.MAX_SAFE_INTEGER))).toBe(false);
    expect(ok(saleDocumentSchema, movement(MAX_STOCK_DELTA_MILLI + 1))).toBe(false);
    const payment = (tenderedMinor: number) =>
      saleDoc({
        payments: [{ method: 'cash', amountMinor: 100, tenderedMinor, changeMinor: 0, reference: null }],
      });
    expect(ok(saleDocumentSchema, payment(MAX_AMOUNT_MINOR))).toBe(true);
    expect(ok(saleDocumentSchema, payment(MAX_AMOUNT_MINOR + 1))).toBe(false);
    expect(ok(shiftOpenedSchema, shiftOpened({ openingFloatMinor: MAX_AMOUNT_MINOR }))).toBe(true);
    expect(ok(shiftOpenedSchema, shiftOpened({ openingFloatMinor: MAX_AMOUNT_MINOR + 1 }))).toBe(false);
    expect(ok(cashMovementDocumentSchema, cashDoc({ amountMinor: MAX_AMOUNT_MINOR }))).toBe(true);
    expect(ok(cashMovementDocumentSchema, cashDoc({ amountMinor: MAX_AMOUNT_MINOR + 1 }))).toBe(false);
    const closed = (countedMinor: number) => ({
      shiftId: 's1',
      closedAt: AT,
      closedBy: null,
      counted: [{ method: 'cash', countedMinor }],
    });
    expect(ok(shiftClosedSchema, closed(MAX_AMOUNT_MINOR))).toBe(true);
    expect(ok(shiftClosedSchema, closed(MAX_AMOUNT_MINOR + 1))).toBe(false);
  });

  it('HQ bodies: a price or product price at most the same bound', () => {
    expect(ok(priceInputSchema, { productId: 'p1', priceMinor: MAX_AMOUNT_MINOR })).toBe(true);
    expect(ok(priceInputSchema, { productId: 'p1', priceMinor: MAX_AMOUNT_MINOR + 1 })).toBe(false);
    const product = (priceMinor: number) => ({ sku: 'S', name: 'N', priceMinor });
    expect(ok(productInputSchema, product(MAX_AMOUNT_MINOR))).toBe(true);
    expect(ok(productInputSchema, product(MAX_AMOUNT_MINOR + 1))).toBe(false);
  });
});

describe('dates and instants', () => {
  it('business dates: 2000-01-01 and 2100-12-31 pass; 1999-12-31, 2101-01-01 and 0000-01-01 do not', () => {
    expect(ok(businessDateSchema, '2000-01-01')).toBe(true);
    expect(ok(businessDateSchema, '2100-12-31')).toBe(true);
    expect(ok(businessDateSchema, '1999-12-31')).toBe(false);
    expect(ok(businessDateSchema, '2101-01-01')).toBe(false);
    expect(ok(businessDateSchema, '0000-01-01')).toBe(false);
    expect(ok(saleDocumentSchema, saleDoc({ businessDate: '0000-01-01' }))).toBe(false);
    expect(ok(shiftOpenedSchema, shiftOpened({ businessDate: '2101-01-01' }))).toBe(false);
  });

  it('instants: offsets up to ±14:00, UTC years 2000–2100', () => {
    expect(ok(instantSchema, '2026-03-02T10:00:00+14:00')).toBe(true);
    expect(ok(instantSchema, '2026-03-02T10:00:00-14:00')).toBe(true);
    expect(ok(instantSchema, '2026-03-02T10:00:00+14:01')).toBe(false);
    expect(ok(instantSchema, '2026-03-02T10:00:00-14:01')).toBe(false);
    expect(ok(instantSchema, '2026-03-02T10:00:00+23:59')).toBe(false);
    expect(messages(instantSchema, '2026-03-02T10:00:00+23:59')).toContain('UTC offset');
    expect(ok(instantSchema, '2000-01-01T00:00:00Z')).toBe(true);
    expect(ok(instantSchema, '2100-12-31T23:59:59.999Z')).toBe(true);
    expect(ok(instantSchema, '1999-12-31T23:59:59Z')).toBe(false);
    expect(ok(instantSchema, '2101-01-01T00:00:00Z')).toBe(false);
    expect(ok(instantSchema, '0000-01-01T00:00:00Z')).toBe(false);
    // The year is the UTC instant's: 2000-01-01 at 01:00 in +02:00 is still 1999 in UTC.
    expect(ok(instantSchema, '2000-01-01T01:00:00+02:00')).toBe(false);
    expect(ok(saleDocumentSchema, saleDoc({ occurredAt: '2026-03-02T10:00:00+23:59' }))).toBe(false);
    expect(ok(cashMovementDocumentSchema, cashDoc({ occurredAt: '0000-01-01T00:00:00Z' }))).toBe(false);
    expect(
      ok(priceInputSchema, { productId: 'p1', priceMinor: 1, effectiveFrom: '0000-01-01T00:00:00Z' }),
    ).toBe(false);
    expect(
      ok(priceInputSchema, { productId: 'p1', priceMinor: 1, effectiveFrom: '2026-03-02T10:00:00+14:00' }),
    ).toBe(true);
  });
});

describe('text', () => {
  it('refuses control characters and half surrogate pairs, keeps tabs, line breaks and emoji', () => {
    for (const bad of ['a\u0000b', 'a\u001bb', 'a\u007fb', 'a\u0085b', 'a\ud800b', 'a\udc00b']) {
      expect(ok(text(10), bad), JSON.stringify(bad)).toBe(false);
    }
    for (const good of ['a\tb', 'a\nb\r\n', 'café', '☕️', '😀']) expect(ok(text(10), good), good).toBe(true);
  });

  it('refuses NUL in the name and owner email of POST /admin/tenants', () => {
    expect(ok(createTenantBody, { orgId: 'acme', name: 'Acme' })).toBe(true);
    expect(ok(createTenantBody, { orgId: 'acme', name: 'Ac\u0000me' })).toBe(false);
    expect(ok(createTenantBody, { orgId: 'acme', name: 'Acme', ownerEmail: 'o\u0000@x.io' })).toBe(false);
  });

  it('sanitizeText escapes control characters and caps the length', () => {
    expect(sanitizeText('a\u0000b\u001b[2J')).toBe('a\\u0000b\\u001b[2J');
    expect(sanitizeText('\ud800x😀')).toBe('\\ud800x😀');
    expect(sanitizeText('x'.repeat(300), 10)).toBe(`${'x'.repeat(10)}…`);
    expect(sanitizeText('short', 10)).toBe('short');
  });
});

describe('unknown keys', () => {
  const schemas = {
    'edge sale input': [
      saleInputSchema,
      { terminal: 'T1', lines: [{ name: 'x', unitPriceMinor: 1, qtyMilli: 1, taxRateBp: 0 }], payments: [] },
    ],
    'sync sale document': [saleDocumentSchema, saleDoc()],
    'sync cash movement': [cashMovementDocumentSchema, cashDoc()],
    'HQ price': [priceInputSchema, { productId: 'p1', priceMinor: 1 }],
    'operator tenant': [createTenantBody, { orgId: 'acme', name: 'Acme' }],
  } as const;

  it.each(Object.entries(schemas))(
    '%s: a key with NUL or ESC is refused and quoted escaped',
    (_, [schema, body]) => {
      const key = 'evil\u0000\u001b[31m';
      const result = schema.safeParse({ ...body, [key]: 1 });
      expect(result.success).toBe(false);
      const text = (result.error?.issues ?? []).map((i) => i.message).join('; ');
      expect(text).toContain('unknown field: "evil\\u0000\\u001b[31m"');
      expect(hasControl(text)).toBe(false);
    },
  );

  it('a nested unknown key is refused without echoing it raw, and a long key is cut', () => {
    const line = saleDoc().lines[0];
    const result = saleDocumentSchema.safeParse(
      saleDoc({ lines: [{ ...line, ['k\u0000'.repeat(100)]: 1 }] }),
    );
    expect(result.success).toBe(false);
    const text = (result.error?.issues ?? []).map((i) => i.message).join('; ');
    expect(text).toContain('unknown field: "k\\u0000k');
    expect(text).toContain('…');
    expect(hasControl(text)).toBe(false);
  });
});
