// `tenant offboard`: optional export → offboarding → revoke login and end sessions → backup file →
// DROP DATABASE → drop role → delete DSN → offboarded (the org row is kept). Each step is audited
// and idempotent, so a run that died part-way is finished by running it again.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { AppError } from '../../src/errors.ts';
import { audit } from '../control/audit.ts';
import { deleteConnectionString } from '../control/connection-strings.ts';
import { getOrganization, setStatus } from '../control/organizations.ts';
import { engineOf, type TenantContext, withOrgLock } from './context.ts';
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
  /** Why `exportTo` was not written (a re-run after the database was already dropped), or null. */
  exportSkipped: string | null;
  alreadyOffboarded: boolean;
}

export async function offboardTenant(ctx: TenantContext, input: OffboardInput): Promise<OffboardResult> {
  const orgId = requireOrgId(input.orgId);
  if (!input.confirm) {
    throw new AppError('invalid_input', `offboarding drops the database of ${orgId}; confirm with --yes`);
  }
  return withOrgLock(ctx, orgId, () => offboardLocked(ctx, orgId, input.exportTo));
}

async function offboardLocked(
  ctx: TenantContext,
  orgId: string,
  exportTo: string | undefined,
): Promise<OffboardResult> {
  const org = await getOrganization(ctx.control, orgId);
  if (!org) throw new AppError('not_found', `organization ${orgId} not found`);
  const done = {
    orgId,
    status: 'offboarded' as const,
    exportFile: null,
    backupFile: null,
    exportSkipped: null,
  };
  if (org.status === 'offboarded') return { ...done, alreadyOffboarded: true };
  const database = tenantDatabaseName(orgId);
  const engine = await engineOf(ctx, org);
  const exists = await engine.databaseExists(database);
  const step = async (action: string, details: Record<string, unknown> = {}) => {
    await audit(ctx.control, { actor: ctx.actor, action: `tenant.offboard.${action}`, orgId, details });
    await ctx.afterStep?.(action, orgId);
  };

  let exportFile: string | null = null;
  let exportSkipped: string | null = null;
  if (exportTo && org.status === 'offboarding' && existsSync(exportTo)) {
    // Re-running an interrupted offboarding whose export was already written: keep that file.
    exportFile = exportTo;
  } else if (exportTo && exists) {
    await exportTenant(ctx, orgId, exportTo);
    exportFile = exportTo;
  } else if (exportTo && org.status === 'offboarding') {
    // Re-running an interrupted offboarding: the database went after its backup; finish the job.
    exportSkipped =
      'the database was already dropped by the interrupted run; its backup is in the backup directory';
  } else if (exportTo) {
    throw new AppError('conflict', `organization ${orgId} has no database to export`);
  }

  await setStatus(ctx.control, orgId, 'offboarding');
  await step('started', { from: org.status, cluster: org.cluster });
  await ctx.onTenantChanged?.(orgId);

  await engine.roles.revokeTenantAccess(database);
  await step('access_revoked');

  let backupFile: string | null = null;
  if (exists) {
    mkdirSync(ctx.backupDir, { recursive: true, mode: 0o700 });
    backupFile = join(ctx.backupDir, `${orgId}-${new Date().toISOString().replaceAll(':', '-')}.tar.gz`);
    await exportTenant(ctx, orgId, backupFile);
    await step('backed_up', { file: backupFile });
    await engine.dropDatabase(database);
    await step('database_dropped');
  }
  await engine.roles.dropTenantRole(database);
  await deleteConnectionString(ctx.control, orgId);
  await step('credentials_deleted');
  if (!(await setStatus(ctx.control, orgId, 'offboarded', ['offboarding']))) {
    throw new AppError('conflict', `organization ${orgId} left offboarding while it was being offboarded`);
  }
  await step('completed');
  return { ...done, exportFile, backupFile, exportSkipped, alreadyOffboarded: false };
}
