// Read-only views of tenants for `tenant list`, `tenant show` and the admin API.
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { AppError } from '../../src/errors.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import { getOrganization, listOrganizations, type Organization } from '../control/organizations.ts';
import type { TenantContext } from './context.ts';
import { requireOrgId } from './validate.ts';

/** A tenant as the CLI's `--json` and the admin API show it. */
export interface TenantView {
  orgId: string;
  name: string;
  status: Organization['status'];
  cluster: string;
  database: string;
  schemaVersion: number;
  latestSchemaVersion: number;
  sizeBytes: number | null;
  createdAt: string;
  updatedAt: string;
}

async function view(ctx: TenantContext, org: Organization): Promise<TenantView> {
  const database = tenantDatabaseName(org.id);
  const hasDatabase = org.status !== 'offboarded' && (await ctx.engine.databaseExists(database));
  return {
    orgId: org.id,
    name: org.name,
    status: org.status,
    cluster: org.cluster,
    database,
    schemaVersion: org.schemaVersion,
    latestSchemaVersion: latestVersion(ctx.tenantMigrations),
    sizeBytes: hasDatabase ? await ctx.engine.databaseSizeBytes(database) : null,
    createdAt: org.createdAt.toISOString(),
    updatedAt: org.updatedAt.toISOString(),
  };
}

export async function listTenants(ctx: TenantContext): Promise<TenantView[]> {
  const orgs = await listOrganizations(ctx.control);
  const views: TenantView[] = [];
  for (const org of orgs) views.push(await view(ctx, org));
  return views;
}

export async function showTenant(ctx: TenantContext, orgIdInput: string): Promise<TenantView> {
  const orgId = requireOrgId(orgIdInput);
  const org = await getOrganization(ctx.control, orgId);
  if (!org) throw new AppError('not_found', `organization ${orgId} not found`);
  return view(ctx, org);
}

/** The org, which must exist (`not_found`) and hold a live database: active or suspended (`conflict`). */
export async function requireLiveOrg(
  ctx: TenantContext,
  orgId: string,
  doing: string,
): Promise<Organization> {
  const org = await getOrganization(ctx.control, orgId);
  if (!org) throw new AppError('not_found', `organization ${orgId} not found`);
  if (org.status !== 'active' && org.status !== 'suspended') {
    throw new AppError(
      'conflict',
      `organization ${orgId} is ${org.status}; only active or suspended tenants can be ${doing}`,
    );
  }
  return org;
}

/** Active or suspended tenants whose schema is behind this build's latest: the migration backlog. */
export async function outdatedTenants(ctx: TenantContext): Promise<string[]> {
  const latest = latestVersion(ctx.tenantMigrations);
  const orgs = await listOrganizations(ctx.control, ['active', 'suspended']);
  return orgs.filter((o) => o.schemaVersion < latest).map((o) => o.id);
}
