// Stock documents' schemas at their bounds, and the ledger rows a document makes: the same ids at
// the edge and in the cloud, a transfer out of one branch and into the other.
import { describe, expect, it } from 'vitest';
import {
  MAX_QTY_MILLI,
  MAX_STOCK_LEVEL_MILLI,
  MAX_STOCK_LINES,
  MAX_UNIT_COST_MINOR,
} from '../../src/domain/bounds.ts';
import {
  countInputSchema,
  movementsOf,
  receiptInputSchema,
  transferInputSchema,
} from '../../src/domain/stock.ts';
import { payloadSchemas } from '../../src/protocol/mutations.ts';

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) =>
  schema.safeParse(value).success;

describe('stock document bounds', () => {
  const receipt = (lines: object[]) => ({ lines });
  const line = (qtyMilli: number, unitCostMinor: number, productId = 'p') => ({
    productId,
    qtyMilli,
    unitCostMinor,
  });

  it('takes up to 500 lines, each product once', () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => line(1, 1, `p${i}`));
    expect(ok(receiptInputSchema, receipt(many(MAX_STOCK_LINES)))).toBe(true);
    expect(ok(receiptInputSchema, receipt(many(MAX_STOCK_LINES + 1)))).toBe(false);
    expect(ok(receiptInputSchema, receipt([line(1, 1), line(2, 1)]))).toBe(false);
    expect(ok(receiptInputSchema, receipt([]))).toBe(false);
  });

  it('bounds a unit cost, and a receipt line at 10^12 minor units', () => {
    expect(ok(receiptInputSchema, receipt([line(1000, MAX_UNIT_COST_MINOR)]))).toBe(true);
    expect(ok(receiptInputSchema, receipt([line(1000, MAX_UNIT_COST_MINOR + 1)]))).toBe(false);
    expect(ok(receiptInputSchema, receipt([line(1000, -1)]))).toBe(false);
    // 10^6 units at 10^6 minor units is 10^12: the most a line may be worth; one unit more is over.
    expect(ok(receiptInputSchema, receipt([line(MAX_QTY_MILLI, 1_000_000)]))).toBe(true);
    expect(ok(receiptInputSchema, receipt([line(MAX_QTY_MILLI, 1_000_001)]))).toBe(false);
  });

  it('bounds a counted quantity from 0 to 10^9 thousandths', () => {
    const count = (countedQtyMilli: number) => ({ lines: [{ productId: 'p', countedQtyMilli }] });
    expect(ok(countInputSchema, count(0))).toBe(true);
    expect(ok(countInputSchema, count(MAX_STOCK_LEVEL_MILLI))).toBe(true);
    expect(ok(countInputSchema, count(MAX_STOCK_LEVEL_MILLI + 1))).toBe(false);
    expect(ok(countInputSchema, count(-1))).toBe(false);
  });

  it('refuses control characters in notes and codes, and a wire transfer to its own branch', () => {
    expect(ok(receiptInputSchema, { note: 'a\u0000b', lines: [line(1, 1)] })).toBe(false);
    expect(ok(transferInputSchema, { toBranch: 'main', lines: [{ productId: 'p', qtyMilli: 1 }] })).toBe(
      false,
    );
    const wire = {
      id: 'd',
      branch: 'MAIN',
      toBranch: 'MAIN',
      occurredAt: '2026-05-04T10:00:00Z',
      actor: null,
      note: null,
      lines: [{ lineNo: 1, productId: 'p', qtyMilli: 1 }],
    };
    expect(ok(payloadSchemas.stock_transfer, wire)).toBe(false);
    expect(ok(payloadSchemas.stock_transfer, { ...wire, toBranch: 'NYC' })).toBe(true);
  });
});

describe('the ledger rows of a stock document', () => {
  it('numbers rows by document and line, and moves a transfer out of one branch into the other', () => {
    const doc = {
      id: 'd1',
      branch: 'MAIN',
      toBranch: 'NYC',
      occurredAt: '2026-05-04T10:00:00.000Z',
      actor: null,
      note: null,
      lines: [{ lineNo: 1, productId: 'p', qtyMilli: 2500 }],
    };
    expect(
      movementsOf({ kind: 'stock_transfer', doc }).map((m) => [m.id, m.branch, m.deltaQtyMilli]),
    ).toEqual([
      ['d1/1', 'MAIN', -2500],
      ['d1/1/in', 'NYC', 2500],
    ]);
  });

  it('keeps what a count found and what a receipt cost', () => {
    const head = {
      id: 'd2',
      branch: 'MAIN',
      occurredAt: '2026-05-04T10:00:00.000Z',
      actor: null,
      note: null,
    };
    const [count] = movementsOf({
      kind: 'stock_count',
      doc: { ...head, lines: [{ lineNo: 1, productId: 'p', countedQtyMilli: 7000 }] },
    });
    expect(count).toMatchObject({ reason: 'count', countedQtyMilli: 7000, deltaQtyMilli: 0 });
    const [received] = movementsOf({
      kind: 'stock_receipt',
      doc: { ...head, lines: [{ lineNo: 1, productId: 'p', qtyMilli: 3000, unitCostMinor: 125 }] },
    });
    expect(received).toMatchObject({ reason: 'receive', deltaQtyMilli: 3000, unitCostMinor: 125 });
  });
});
