// node-postgres' type parsers are global to the `pg` module: they are registered by an explicit call
// (made by createPgDatabase), never as a side effect of importing the module that opens pools.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { registerPgTypeParsers } from '../../cloud/engines/pg-database.ts';
import { TYPE_OIDS } from '../../src/db/type-parsers.ts';

describe('registering the pg type parsers', () => {
  it('leaves pg alone on import, then registers the shared shapes once, idempotently', () => {
    // Each test file runs in its own process: nothing has opened a pool here yet.
    expect(pg.types.getTypeParser(TYPE_OIDS.date)('2026-03-01')).toBeInstanceOf(Date);
    registerPgTypeParsers();
    registerPgTypeParsers();
    expect(pg.types.getTypeParser(TYPE_OIDS.date)('2026-03-01')).toBe('2026-03-01');
    expect(pg.types.getTypeParser(TYPE_OIDS.int8)('42')).toBe(42);
    expect(pg.types.getTypeParser(TYPE_OIDS.timestamptz)('2026-03-02 04:30:00+05:30')).toBe(
      '2026-03-01T23:00:00.000Z',
    );
  });
});
