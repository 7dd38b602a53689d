// mapBounded: never more than the bound in flight, results in the items' order.
import { describe, expect, it } from 'vitest';
import { mapBounded } from '../../src/concurrency.ts';

describe('mapBounded', () => {
  it('keeps at most `concurrency` calls in flight and answers in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 25 }, (_, i) => i);
    const results = await mapBounded(items, 4, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, (n * 7) % 5));
      inFlight--;
      return n * 2;
    });
    expect(peak).toBe(4);
    expect(results).toEqual(items.map((n) => n * 2));
    expect(await mapBounded([], 4, async () => 1)).toEqual([]);
  });
});
