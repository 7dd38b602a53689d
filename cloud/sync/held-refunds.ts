// Refunds that reached the cloud before their original sale are held in the quarantine with reason
// `awaiting_original`: neither applied nor refused, and never in the device's way. When a batch (of
// any device) stores the original, the refunds waiting for it are applied in the same transaction,
// under the device that recorded them; one that fails its checks then becomes an ordinary quarantine.
import { isRetryableFailure } from '../../src/db/driver-errors.ts';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { databaseRefusal } from './database-refusal.ts';
import { RELEASED } from './resend.ts';
import { printable, type Rejection } from './validate.ts';

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

/**
 * Applies the held refunds of the sales `saleIds` (just stored), each under its own savepoint: a
 * refund the database refuses is quarantined `database_refused` on its own and never takes the
 * original (or anything else of the caller's batch) down with it. Returns how many were applied.
 */
export async function releaseHeldRefunds(
  tx: SqlQueryable,
  saleIds: readonly string[],
  at: string,
  apply: ApplyHeld,
): Promise<number> {
  if (saleIds.length === 0) return 0;
  const held = await tx.query<HeldRow>(
    `SELECT id, device_id, seq, mutation_id, kind, payload FROM sync_quarantine
      WHERE original_sale_id = ANY($1::text[]) AND reason_code = 'awaiting_original' AND resolved_at IS NULL
      ORDER BY received_at, seq`,
    [saleIds],
  );
  let applied = 0;
  for (const row of held) {
    const m = { seq: Number(row.seq), id: row.mutation_id, kind: row.kind, payload: JSON.parse(row.payload) };
    await tx.exec('SAVEPOINT held_refund');
    let outcome: Awaited<ReturnType<ApplyHeld>>;
    try {
      outcome = await apply(row.device_id, m);
      await tx.exec('RELEASE SAVEPOINT held_refund');
    } catch (err) {
      await tx.exec('ROLLBACK TO SAVEPOINT held_refund');
      if (err instanceof AppError || isRetryableFailure(err)) throw err;
      outcome = databaseRefusal(err);
    }
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
        printable(outcome.reason),
      ]);
    }
  }
  return applied;
}
