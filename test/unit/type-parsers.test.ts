import { describe, expect, it } from 'vitest';
import { parseInstant, typeParsers } from '../../src/db/type-parsers.ts';

describe('value shapes from Postgres and PGlite', () => {
  it('turns timestamptz text into ISO UTC strings whatever the offset', () => {
    expect(parseInstant('2026-03-02 04:30:00.123456+00')).toBe('2026-03-02T04:30:00.123Z');
    expect(parseInstant('2026-03-02 04:30:00+05:30')).toBe('2026-03-01T23:00:00.000Z');
    expect(parseInstant('2026-03-02 04:30:00-05')).toBe('2026-03-02T09:30:00.000Z');
    expect(parseInstant('infinity')).toBe('infinity');
  });

  it('keeps dates as calendar days and int8 as numbers', () => {
    expect(typeParsers[1082]!('2026-03-01')).toBe('2026-03-01');
    expect(typeParsers[20]!('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
  });
});
