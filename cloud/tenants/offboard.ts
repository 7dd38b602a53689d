// `tenant offboard`: optional export → offboarding → revoke login and end sessions → backup file →
// DROP DATABASE → drop role → delete DSN → offboarded (the org row is kept). Each step is audited
// and idempotent, so a run that died part-way is finished by running it again.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { AppError } from '../../src/errors.ts';
import { audit } from '../control/audit.ts';
import { deleteConnectionString } from '../control/connection-strings.ts';
import { getOrganization, setStatus } from '../control/organizations.ts';
import type { TenantContext } from './context.ts';
import { exportTenant } from './export.ts';
import { requireOrgId } from './validate.ts';

export interface OffboardInput {
  orgId: string;
  /** Offboarding is destructive: nothing happens unless this is true (`--yes`). */
  confirm: boolean;
  exportTo?: string | undefined;
}

export interface OffboardResult {
  orgId: string;
  status: 'offboarded';
  exportFile: string | null;
  backupFile: string | null;
  alreadyOffboarded: boolean;
}

export async function offboardTenant(ctx: TenantContext, input: OffboardInput): Promise<OffboardResult> {
  const orgId = requireOrgId(input.orgId);
  if (!input.confirm) {
    throw new AppError('invalid_input', `offboarding drops the database of ${orgId}; confirm with --yes`);
  }
  const org = await getOrganization(ctx.control, orgId);
  if (!org) throw new AppError('not_found', `organization ${orgId} not found`);
  if (org.status === 'offboarded') {
    return { orgId, status: 'offboarded', exportFile: null, backupFile: null, alreadyOffboarded: true };
  }
  const database = tenantDatabaseName(orgId);
  const exists = await ctx.engine.databaseExists(database);
  const step = async (action: string, details: Record<string, unknown> = {}) => {
    await audit(ctx.control, { actor: ctx.actor, action: `tenant.offboard.${action}`, orgId, details });
    await ctx.afterStep?.(action, orgId);
  };

  let exportFile: string | null = null;
  if (input.exportTo) {
    if (!exists)
      throw new AppError('conflict', `the database of ${orgId} is already dropped; nothing to export`);
    await exportTenant(ctx, orgId, input.exportTo);
    exportFile = input.exportTo;
  }

  await setStatus(ctx.control, orgId, 'offboarding');
  await step('started', { from: org.status });
  await ctx.onTenantChanged?.(orgId);

  await ctx.engine.revokeTenantAccess(database);
  await step('access_revoked');

  let backupFile: string | null = null;
  if (exists) {
    mkdirSync(ctx.backupDir, { recursive: true });
    backupFile = join(ctx.backupDir, `${orgId}-${new Date().toISOString().replaceAll(':', '-')}.tar.gz`);
    await exportTenant(ctx, orgId, backupFile);
    await step('backed_up', { file: backupFile });
    await ctx.engine.dropDatabase(database);
    await step('database_dropped');
  }
  await ctx.engine.dropTenantRole(database);
  await deleteConnectionString(ctx.control, orgId);
  await step('credentials_deleted');
  await setStatus(ctx.control, orgId, 'offboarded');
  await step('completed');
  return { orgId, status: 'offboarded', exportFile, backupFile, alreadyOffboarded: false };
}
