// What a tenant move returns, and its last step: `completed` audited and recorded, and the fallback
// reason its first run chose (for a resumed run's result).

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
  /** Rows and checksum of each table, equal on both sides. */
  tables: TableSum[];
  /** An interrupted move was finished by this run. */
  resumed: boolean;
  /** The move had already switched (a run killed after the switch, run again). */
  alreadyMoved: boolean;
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
