// `tenant move ORG --abort`: undoes a move that has not switched. The source first (its role logs in
// again, the freeze is lifted, slot and publication dropped), so the tenant serves from it even if
// the target never answers; then the target's subscription, database and role.
import { tenantDatabaseName } from '../../../src/domain/org-id.ts';
import { AppError } from '../../../src/errors.ts';
import { audit } from '../../control/audit.ts';
import { getOrganization } from '../../control/organizations.ts';
import { finishMove, latestMove, runningMove, setMoveFrozen } from '../../control/tenant-moves.ts';
import { type TenantContext, withOrgLock } from '../context.ts';
import { requireOrgId } from '../validate.ts';
import { dropTarget } from './drop-target.ts';
import { unfenceSource } from './freeze.ts';
import { audited } from './refusal.ts';
import { dropPublication, dropSlot, replicationName } from './replication.ts';
import { tenantRoutingChanged } from './signals.ts';

export interface AbortResult {
  orgId: string;
  status: 'aborted';
  from: string;
  to: string;
  /** The target database could not be dropped (its cluster did not answer); the next move there drops it. */
  targetLeftover: boolean;
}

/** `tenant move ORG --abort`: undoes a move that has not switched. */
export async function abortMove(ctx: TenantContext, orgIdInput: string): Promise<AbortResult> {
  const orgId = requireOrgId(orgIdInput);
  return withOrgLock(ctx, orgId, () =>
    audited(ctx, orgId, 'tenant.move.abort.refused', {}, async () => {
      const org = await getOrganization(ctx.control, orgId);
      if (!org) throw new AppError('not_found', `organization ${orgId} not found`);
      const move = await runningMove(ctx.control, orgId);
      if (!move) {
        const last = await latestMove(ctx.control, orgId);
        throw new AppError(
          'conflict',
          last?.state === 'switched'
            ? `the move of ${orgId} to ${last.targetCluster} has already switched; move it back instead (tenant move ${orgId} --to ${last.sourceCluster})`
            : `organization ${orgId} has no move in progress`,
        );
      }
      const database = tenantDatabaseName(orgId);
      const name = replicationName(orgId);
      const source = await ctx.clusters.engine(move.sourceCluster);
      const sourceDb = source.openDatabase(database, 1);
      try {
        // The source first: the tenant serves from it again even if the target never answers.
        await unfenceSource(sourceDb, database);
        await setMoveFrozen(ctx.control, move.id, false);
        await tenantRoutingChanged(ctx, orgId);
        await dropSlot(sourceDb, name);
        await dropPublication(sourceDb, name);
        let targetLeftover = false;
        try {
          const target = await ctx.clusters.engine(move.targetCluster);
          await dropTarget(target, database, name);
        } catch {
          targetLeftover = true;
        }
        await finishMove(ctx.control, move.id, 'aborted', targetLeftover ? 'target_left' : undefined);
        await audit(ctx.control, {
          actor: ctx.actor,
          action: 'tenant.move.aborted',
          orgId,
          details: { from: move.sourceCluster, to: move.targetCluster, phase: move.phase, targetLeftover },
        });
        return {
          orgId,
          status: 'aborted' as const,
          from: move.sourceCluster,
          to: move.targetCluster,
          targetLeftover,
        };
      } finally {
        await sourceDb.close();
      }
    }),
  );
}
