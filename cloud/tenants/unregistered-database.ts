// The first contact with a new tenant's cluster, right after its org row is registered: a cluster
// that does not answer, or a database by the tenant's name that the control plane did not create
// (somebody else's), makes onboarding and import delete that row and refuse, nothing created.
import { AppError } from '../../src/errors.ts';
import { answerWithin, describeFailure } from '../clusters/load.ts';
import type { Engine } from '../engines/engine.ts';
import { engineOf, type TenantContext } from './context.ts';
import { unreachableCluster } from './placement.ts';

/** Deletes the org row while it is still `provisioning` (never a tenant that went live). */
export async function deleteProvisioning(ctx: TenantContext, orgId: string): Promise<void> {
  await ctx.control.query("DELETE FROM organizations WHERE id = $1 AND status = 'provisioning'", [orgId]);
}

/**
 * The engine of the just-registered org's cluster, once the cluster has answered (within the probe
 * time) that no database has the tenant's name. Placement trusts what it last knew of a cluster, so
 * this is where one that went down since is found: it is remembered as unreachable (placement then
 * passes it by), the org row is deleted and the refusal is `database_unavailable`. A database that
 * is there already is refused as `conflict`, the row deleted too.
 */
export async function reachNewTenantCluster(
  ctx: TenantContext,
  org: { orgId: string; database: string; cluster: string },
): Promise<Engine> {
  let engine: Engine;
  let exists: boolean;
  try {
    engine = await answerWithin(engineOf(ctx, org));
    exists = await answerWithin(engine.databaseExists(org.database));
  } catch (err) {
    const error = describeFailure(err);
    ctx.clusterLoads?.unreachable(org.cluster, error);
    await deleteProvisioning(ctx, org.orgId);
    throw unreachableCluster(org.cluster, error);
  }
  if (exists) {
    await deleteProvisioning(ctx, org.orgId);
    throw new AppError(
      'conflict',
      `database ${org.database} already exists on cluster ${org.cluster} but is not registered; refusing to adopt it`,
    );
  }
  return engine;
}
