// Read-only views of tenants for `tenant list`, `tenant show` and the admin API.
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { AppError } from '../../src/errors.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import { getOrganization, listOrganizations, type Organization } from '../control/organizations.ts';
import { engineOf, type TenantContext } from './context.ts';
import { requireOrgId } from './validate.ts';

/** A tenant as the CLI's `--json` and the admin API show it. */
export interface TenantView {
  orgId: string;
  name: string;
  status: Organization['status'];
  cluster: string;
  /** The region it is pinned to (`tenant create --region`), or null. */
  region: string | null;
  database: string;
  schemaVersion: number;
  latestSchemaVersion: number;
  sizeBytes: number | null;
  createdAt: string;
  updatedAt: string;
}

/** The size of the org's database, or null if it has none or its cluster does not answer (a listing never fails for one cluster). */
async function sizeOf(ctx: TenantContext, org: Organization, database: string): Promise<number | null> {
  if (org.status === 'offboarded') return null;
  try {
    const engine = await engineOf(ctx, org);
    return (await engine.databaseExists(database)) ? await engine.databaseSizeBytes(database) : null;
  } catch {
    return null;
  }
}

async function view(ctx: TenantContext, org: Organization): Promise<TenantView> {
  const database = tenantDatabaseName(org.id);
  return {
    orgId: org.id,
    name: org.name,
    status: org.status,
    cluster: org.cluster,
    region: org.region,
    database,
    schemaVersion: org.schemaVersion,
    latestSchemaVersion: latestVersion(ctx.tenantMigrations),
    sizeBytes: await sizeOf(ctx, org, database),
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
