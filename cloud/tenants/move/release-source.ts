// Releasing the source a move kept after its checksums failed (`verify_failed`): once the operator
// has compared and repaired (docs/clusters.md#after-a-failed-verification), the grace-period job may
// drop it on its next pass (the grace period counts from the switch), and a later move back onto
// that cluster is allowed again. Audited; the verify_failed entry keeps the record.
import { AppError } from '../../../src/errors.ts';
import { audit } from '../../control/audit.ts';
import { releaseVerifyFailed } from '../../control/tenant-moves.ts';
import { type TenantContext, withOrgLock } from '../context.ts';

export interface ReleasedSource {
  orgId: string;
  /** The cluster the kept source database is on. */
  cluster: string;
  moveId: number;
}

export async function releaseKeptSource(ctx: TenantContext, orgId: string): Promise<ReleasedSource> {
  const released = await withOrgLock(ctx, orgId, () => releaseVerifyFailed(ctx.control, orgId));
  if (!released) {
    throw new AppError(
      'conflict',
      `${orgId} has no source kept after a failed verification; nothing to release (a kept source after a successful move is dropped by the grace-period job anyway)`,
    );
  }
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.move.source_released',
    orgId,
    details: { moveId: released.id, cluster: released.sourceCluster },
  });
  return { orgId, cluster: released.sourceCluster, moveId: released.id };
}
