// Refunds that reached the cloud before their original sale are held in the quarantine with reason
// `awaiting_original`: neither applied nor refused, and never in the device's way. When a batch (of
// any device) stores the original, the refunds waiting for it are applied in the same transaction,
// under the device that recorded them; one that fails its checks then becomes an ordinary quarantine.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { RELEASED } from './resend.ts';
import type { Rejection } from './validate.ts';

/** Applies one held mutation under its device: its outcome, or why it was refused. */
export type ApplyHeld = (deviceId: string, m: Mutation) => Promise<'applied' | 'duplicate' | Rejection>;

interface HeldRow {
  id: string;
  device_id: string;
  seq: unknown;
  mutation_id: string;
  kind: string;
  payload: string;
}

const originalOf = (payload: string): unknown => {
  try {
    return (JSON.parse(payload) as { originalSaleId?: unknown } | null)?.originalSaleId;
  } catch {
    return undefined;
  }
};

/** Applies the held refunds of the sales `saleIds` (just stored); returns how many were applied. */
export async function releaseHeldRefunds(
  tx: SqlQueryable,
  saleIds: readonly string[],
  at: string,
  apply: ApplyHeld,
): Promise<number> {
  if (saleIds.length === 0) return 0;
  const held = await tx.query<HeldRow>(
    `SELECT id, device_id, seq, mutation_id, kind, payload FROM sync_quarantine
      WHERE reason_code = 'awaiting_original' AND resolved_at IS NULL ORDER BY received_at, seq`,
  );
  const arrived = new Set(saleIds);
  let applied = 0;
  for (const row of held) {
    const original = originalOf(row.payload);
    if (typeof original !== 'string' || !arrived.has(original)) continue;
    const m = { seq: Number(row.seq), id: row.mutation_id, kind: row.kind, payload: JSON.parse(row.payload) };
    const outcome = await apply(row.device_id, m);
    if (typeof outcome === 'string') {
      applied++;
      await tx.query('UPDATE sync_quarantine SET resolved_at = $2, resolution = $3 WHERE id = $1', [
        row.id,
        at,
        RELEASED,
      ]);
    } else if (outcome.code !== 'awaiting_original') {
      await tx.query('UPDATE sync_quarantine SET reason_code = $2, reason = $3 WHERE id = $1', [
        row.id,
        outcome.code,
        outcome.reason,
      ]);
    }
  }
  return applied;
}
