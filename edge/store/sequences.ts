// Gapless local counters (receipt series per terminal, the outbox seq). Incremented inside the
// transaction that uses the number, so a rolled-back sale gives its number back and none repeats.
import { sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { localSequences } from './tables.ts';

export type NextValue = (name: string) => number;

export function createSequences(db: BetterSQLite3Database): NextValue {
  const next = db
    .insert(localSequences)
    .values({ name: sql.placeholder('name'), value: 1 })
    .onConflictDoUpdate({ target: localSequences.name, set: { value: sql`${localSequences.value} + 1` } })
    .returning({ value: localSequences.value })
    .prepare();
  return (name) => {
    const row = next.get({ name });
    if (!row) throw new Error(`sequence ${name} returned no value`);
    return row.value;
  };
}

export const receiptSequence = (terminal: string, series: 'sale' | 'refund') =>
  `receipt:${terminal}:${series}`;
export const OUTBOX_SEQUENCE = 'outbox';
