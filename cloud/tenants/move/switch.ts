// The switch of a tenant move: the sealed DSN (with the new password the move set on the target
// before its freeze) and the tenant's cluster change in one control-plane transaction that also ends
// the freeze.

import { AppError } from '../../../src/errors.ts';
import { getCluster } from '../../control/clusters.ts';
import { storeConnectionString } from '../../control/connection-strings.ts';
import { finishMove, type TenantMove } from '../../control/tenant-moves.ts';
import type { TenantContext } from '../context.ts';

/** Switches the tenant to the move's target; returns how long writes were frozen, in ms. */
export async function switchTenant(
  ctx: TenantContext,
  move: TenantMove,
  dsn: string,
): Promise<number | null> {
  const orgId = move.orgId;
  return ctx.control.transaction(async (tx) => {
    const cluster = await getCluster(tx, move.targetCluster, 'share');
    if (!cluster || cluster.status === 'removed') {
      throw new AppError('conflict', `cluster ${move.targetCluster} was removed during the move`);
    }
    await storeConnectionString(tx, orgId, ctx.keyring.seal(dsn, orgId));
    await tx.query('UPDATE organizations SET cluster = $2, updated_at = now() WHERE id = $1', [
      orgId,
      move.targetCluster,
    ]);
    return finishMove(tx, move.id, 'switched');
  });
}
