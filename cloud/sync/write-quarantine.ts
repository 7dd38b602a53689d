// Keeping refused mutations whole in the tenant's quarantine, one set-based insert per batch: the
// mutation as it came, its rejection code and reason, and for a refund the original it names (so a
// held refund is found when its original arrives).
import { randomUUID } from 'node:crypto';
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { unnestInsert } from './unnest.ts';
import { printable, type Rejection } from './validate.ts';

/** A mutation refused after all, with why. */
export interface Quarantined {
  m: Mutation;
  rejection: Rejection;
}

/** The original a refund's payload names, if it names one as text. */
export function originalSaleIdOf(payload: unknown): string | null {
  const id = (payload as { originalSaleId?: unknown } | null)?.originalSaleId;
  return typeof id === 'string' ? id : null;
}

export async function quarantine(
  tx: SqlQueryable,
  deviceId: string,
  items: Quarantined[],
  at: string,
): Promise<void> {
  await unnestInsert<Quarantined>(
    tx,
    'sync_quarantine',
    [
      ['id', 'text', () => randomUUID()],
      ['device_id', 'text', () => deviceId],
      ['seq', 'int8', (q) => q.m.seq],
      ['mutation_id', 'text', (q) => q.m.id],
      ['kind', 'text', (q) => q.m.kind],
      ['payload', 'text', (q) => JSON.stringify(q.m.payload ?? null)],
      ['reason_code', 'text', (q) => q.rejection.code],
      ['reason', 'text', (q) => printable(q.rejection.reason)],
      ['received_at', 'timestamptz', () => at],
      ['original_sale_id', 'text', (q) => (q.m.kind === 'refund' ? originalSaleIdOf(q.m.payload) : null)],
    ],
    items,
    { onConflict: 'ON CONFLICT (device_id, seq) DO NOTHING' },
  );
}
