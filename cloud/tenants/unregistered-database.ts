// A database by a new tenant's name that the control plane did not create is somebody else's:
// onboarding and import delete the org row they just registered and refuse to adopt it.
import { AppError } from '../../src/errors.ts';
import type { Engine } from '../engines/engine.ts';
import type { TenantContext } from './context.ts';

/** Deletes the org row while it is still `provisioning` (never a tenant that went live). */
export async function deleteProvisioning(ctx: TenantContext, orgId: string): Promise<void> {
  await ctx.control.query("DELETE FROM organizations WHERE id = $1 AND status = 'provisioning'", [orgId]);
}

/** Refuses (after deleting the just-registered org row) when `database` already exists on the cluster. */
export async function refuseUnregisteredDatabase(
  ctx: TenantContext,
  engine: Engine,
  org: { orgId: string; database: string; cluster: string },
): Promise<void> {
  if (!(await engine.databaseExists(org.database))) return;
  await deleteProvisioning(ctx, org.orgId);
  throw new AppError(
    'conflict',
    `database ${org.database} already exists on cluster ${org.cluster} but is not registered; refusing to adopt it`,
  );
}
