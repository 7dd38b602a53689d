// A frame's nesting is bounded before its schema runs: a hostile frame nested deeper than
// MAX_FRAME_DEPTH is refused with a clear reason, one at the bound is read, and the walk over a
// very deep value neither overflows the stack nor reads past the bound.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_FRAME_DEPTH, parseFrame } from '../../src/protocol/frame.ts';

const anything = z.unknown();
/** `levels` arrays, or objects, nested inside each other around `null`. */
const arrays = (levels: number) => `${'['.repeat(levels)}null${']'.repeat(levels)}`;
const objects = (levels: number) => `${'{"a":'.repeat(levels)}null${'}'.repeat(levels)}`;

describe("a frame's nesting depth", () => {
  it('reads a frame nested exactly to the bound, arrays or objects', () => {
    expect(parseFrame(anything, arrays(MAX_FRAME_DEPTH)).ok).toBe(true);
    expect(parseFrame(anything, objects(MAX_FRAME_DEPTH)).ok).toBe(true);
  });

  it('refuses a frame one level deeper, arrays or objects, saying why', () => {
    for (const frame of [arrays(MAX_FRAME_DEPTH + 1), objects(MAX_FRAME_DEPTH + 1)]) {
      const parsed = parseFrame(anything, frame);
      expect(parsed).toEqual({ ok: false, reason: `frame nests deeper than ${MAX_FRAME_DEPTH} levels` });
    }
  });

  it('refuses a frame nested 100,000 levels deep without overflowing the stack', () => {
    const parsed = parseFrame(anything, arrays(100_000));
    expect(parsed.ok).toBe(false);
  });

  it('finds a deep branch behind wide shallow ones', () => {
    const wide = Array.from({ length: 1_000 }, (_, i) => `"k${i}":[1,2,{"x":"y"}]`).join(',');
    const frame = `{${wide},"deep":${objects(MAX_FRAME_DEPTH)}}`;
    expect(parseFrame(anything, frame).ok).toBe(false);
    expect(parseFrame(anything, `{${wide}}`).ok).toBe(true);
  });
});
