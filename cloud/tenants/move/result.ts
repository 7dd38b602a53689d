// What a tenant move returns, and its last step: `completed` audited and recorded, the fallback
// reason its first run chose (for a resumed run's result), and the error a failed verification
// after the switch answers with.

import { AppError } from '../../../src/errors.ts';
import { audit } from '../../control/audit.ts';
import type { MoveMethod, TenantMove } from '../../control/tenant-moves.ts';
import { setMovePhase } from '../../control/tenant-moves.ts';
import type { TenantContext } from '../context.ts';
import type { TableSum } from './tables.ts';

export interface MoveResult {
  orgId: string;
  from: string;
  to: string;
  method: MoveMethod;
  /** Why the move copied offline instead of replicating, or null. */
  fallbackReason: string | null;
  /** How long writes were frozen, in ms (measured on the control server). */
  freezeMs: number | null;
  /** Rows and checksum of each table on the source (equal on the target unless `verification` says otherwise). */
  tables: TableSum[];
  verification: MoveVerification;
  /** An interrupted move was finished by this run. */
  resumed: boolean;
  /** The move had already switched (a run killed after the switch, run again). */
  alreadyMoved: boolean;
}

export interface MoveVerification {
  /**
   * `matched`: every table's rows and checksum equal (the offline copy: inside its freeze; an online
   * move: after the switch, the target read in the snapshot taken inside the freeze); `mismatched`:
   * some differ (`mismatched`); `unverified`: the checksums could not be taken (`note`); `skipped`: a
   * run killed after the switch, run again (the snapshot is gone; the row counts compared inside the
   * freeze stand).
   */
  checksums: 'matched' | 'mismatched' | 'unverified' | 'skipped';
  /** Tables whose rows or checksum differ. */
  mismatched: string[];
  note: string | null;
  /** The source database is kept for comparison: the grace-period job leaves it (docs/clusters.md). */
  sourceKept: boolean;
}

export const MATCHED: MoveVerification = {
  checksums: 'matched',
  mismatched: [],
  note: null,
  sourceKept: false,
};

/**
 * A move that switched but whose checksums differ (or could not be taken): `operation_failed`, with
 * the result as details. The tenant serves from the target; its source is kept.
 */
export function verificationFailure(r: MoveResult): AppError | undefined {
  const v = r.verification;
  if (v.checksums !== 'mismatched' && v.checksums !== 'unverified') return undefined;
  const what =
    v.checksums === 'mismatched'
      ? `the target's checksums differ from the frozen source's in ${v.mismatched.join(', ')}`
      : `the checksums could not be compared (${v.note ?? 'unknown error'})`;
  return new AppError(
    'operation_failed',
    `moved ${r.orgId} from ${r.from} to ${r.to}, but ${what}: the tenant serves from ${r.to}, and the source database is kept on ${r.from} for comparison (audited as tenant.move.verify_failed; see docs/clusters.md)`,
    r,
  );
}

/** The move's last step: audited, and recorded so running the command again is refused as a move onto the same cluster. */
export async function completed(
  ctx: TenantContext,
  move: TenantMove,
  freezeMs: number | null,
): Promise<void> {
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.move.completed',
    orgId: move.orgId,
    details: { from: move.sourceCluster, to: move.targetCluster, method: move.method, freezeMs },
  });
  await setMovePhase(ctx.control, move.id, 'completed');
}

/** The fallback reason the move's first run recorded. */
export async function startedFallbackReason(ctx: TenantContext, move: TenantMove): Promise<string | null> {
  const rows = await ctx.control.query<{ reason: string | null }>(
    "SELECT details->>'fallbackReason' AS reason FROM audit_logs WHERE org_id = $1 AND action = 'tenant.move.started' AND (details->>'moveId')::bigint = $2",
    [move.orgId, move.id],
  );
  return rows[0]?.reason ?? null;
}
