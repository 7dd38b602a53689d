// The payload schemas of shifts, cash movements and stock: what they accept and what they refuse.
import { describe, expect, it } from 'vitest';
import {
  cashMovementSchema,
  shiftCloseSchema,
  shiftOpenSchema,
  stockMovementSchema,
} from '../../src/domain/payloads.ts';

describe('shift, cash and stock payloads', () => {
  it('accepts well-formed bodies', () => {
    expect(shiftOpenSchema.parse({ terminal: 'T1', openingFloatMinor: 10000 })).toMatchObject({
      terminal: 'T1',
    });
    expect(
      cashMovementSchema.parse({ direction: 'out', amountMinor: 500, reason: 'Bank deposit' }).direction,
    ).toBe('out');
    expect(
      shiftCloseSchema.parse({
        counted: [
          { method: 'cash', countedMinor: 12345 },
          { method: 'voucher', countedMinor: 2000 },
        ],
      }).counted,
    ).toHaveLength(2);
    expect(
      stockMovementSchema.parse({ productId: 'p1', deltaQtyMilli: -1500, reason: 'adjust' }).deltaQtyMilli,
    ).toBe(-1500);
  });

  it.each([
    [shiftOpenSchema, { terminal: 'T1', openingFloatMinor: -1 }],
    [shiftOpenSchema, { terminal: 'T1', openingFloatMinor: 10.5 }],
    [cashMovementSchema, { direction: 'out', amountMinor: 500 }],
    [cashMovementSchema, { direction: 'sideways', amountMinor: 500, reason: 'x' }],
    [cashMovementSchema, { direction: 'in', amountMinor: 0, reason: 'x' }],
    [shiftCloseSchema, { counted: [] }],
    [shiftCloseSchema, { counted: [{ method: 'card', countedMinor: 100 }] }],
    [
      shiftCloseSchema,
      {
        counted: [
          { method: 'cash', countedMinor: 1 },
          { method: 'cash', countedMinor: 2 },
        ],
      },
    ],
    [stockMovementSchema, { productId: 'p1', deltaQtyMilli: 0, reason: 'adjust' }],
    [stockMovementSchema, { productId: 'p1', deltaQtyMilli: 5, reason: 'sale' }],
  ] as const)('refuses %#', (schema, body) => {
    expect(schema.safeParse(body).success).toBe(false);
  });
});
