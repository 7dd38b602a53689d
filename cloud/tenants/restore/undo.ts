// Undoing a tenant a restore `--as` created, when the backup turned out to be bad once the tenant
// existed: database, role, DSN and org row go again, audited.
import { sanitizeText } from '../../../src/domain/bounds.ts';
import { tenantDatabaseName } from '../../../src/domain/org-id.ts';
import { audit } from '../../control/audit.ts';
import { deleteConnectionString } from '../../control/connection-strings.ts';
import { getOrganization } from '../../control/organizations.ts';
import { engineOf, type TenantContext, withOrgLock } from '../context.ts';

/** Removes a tenant this restore created (database, role, DSN, org row); audited. */
export async function undoCreated(ctx: TenantContext, orgId: string, reason: string): Promise<void> {
  await withOrgLock(ctx, orgId, async () => {
    const org = await getOrganization(ctx.control, orgId);
    if (!org) return;
    const engine = await engineOf(ctx, org);
    const database = tenantDatabaseName(orgId);
    await engine.roles.revokeTenantAccess(database);
    await ctx.onTenantChanged?.(orgId);
    await engine.dropDatabase(database);
    await engine.roles.dropTenantRole(database);
    await deleteConnectionString(ctx.control, orgId);
    await ctx.control.query('DELETE FROM organizations WHERE id = $1', [orgId]);
    await audit(ctx.control, {
      actor: ctx.actor,
      action: 'tenant.restore.undone',
      orgId,
      details: { reason: sanitizeText(reason, 500), cluster: org.cluster },
    });
  });
}
