// The switch of a tenant move: a new password on the target, then the sealed DSN and the tenant's
// cluster change in one control-plane transaction that also ends the freeze.

import { AppError } from '../../../src/errors.ts';
import { getCluster } from '../../control/clusters.ts';
import { storeConnectionString } from '../../control/connection-strings.ts';
import { finishMove, type TenantMove } from '../../control/tenant-moves.ts';
import type { Engine } from '../../engines/engine.ts';
import { randomSecret } from '../../secrets/passwords.ts';
import type { TenantContext } from '../context.ts';

/** Switches the tenant to the move's target; returns how long writes were frozen, in ms. */
export async function switchTenant(
  ctx: TenantContext,
  move: TenantMove,
  target: Engine,
  database: string,
  onTarget: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<number | null> {
  const orgId = move.orgId;
  const dsn = await onTarget(() => target.roles.rotateTenantPassword(database, randomSecret(24)));
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
