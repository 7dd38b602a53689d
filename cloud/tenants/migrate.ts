// Bringing tenant databases to the latest schema: one tenant, or all of them with bounded
// concurrency, carrying on past failures and reporting each.
import { mapBounded } from '../../src/concurrency.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { isAppError } from '../../src/errors.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { audit } from '../control/audit.ts';
import { listOrganizations, type Organization, setSchemaVersion } from '../control/organizations.ts';
import { engineOf, type TenantContext, tenantMigrationTarget } from './context.ts';
import { requireLiveOrg } from './queries.ts';
import { requireOrgId } from './validate.ts';

export interface TenantMigration {
  orgId: string;
  ok: boolean;
  from: number;
  to: number;
  applied: number[];
  error?: string;
}

export async function migrateTenant(ctx: TenantContext, orgIdInput: string): Promise<TenantMigration> {
  const orgId = requireOrgId(orgIdInput);
  const org = await requireLiveOrg(ctx, orgId, 'migrated');
  const database = tenantDatabaseName(orgId);
  const engine = await engineOf(ctx, org);
  const db = engine.openDatabase(database);
  try {
    const result = await migrate(tenantMigrationTarget({ engine }, database, db), ctx.tenantMigrations);
    if (result.applied.length > 0 || org.schemaVersion !== result.current) {
      await setSchemaVersion(ctx.control, orgId, result.current);
      // The resolver forgets the version it saw: requests refused `tenant_migrating` are served again now.
      await ctx.onTenantChanged?.(orgId);
    }
    if (result.applied.length > 0) {
      await audit(ctx.control, {
        actor: ctx.actor,
        action: 'tenant.migrated',
        orgId,
        details: { from: org.schemaVersion, to: result.current, applied: result.applied },
      });
    }
    return { orgId, ok: true, from: org.schemaVersion, to: result.current, applied: result.applied };
  } finally {
    await db.close();
  }
}

export interface MigrateAllOptions {
  /** Tenants migrated at once on each cluster (1-64, default 4): clusters are worked on side by side. */
  concurrency?: number;
  /** Only tenants below the latest version (the background job); otherwise every active or suspended tenant is checked. */
  outdatedOnly?: boolean;
  onProgress?: (done: number, total: number, last: TenantMigration) => void;
}

export interface MigrateAllSummary {
  latest: number;
  total: number;
  migrated: number;
  upToDate: number;
  failed: TenantMigration[];
  results: TenantMigration[];
}

export async function migrateAllTenants(
  ctx: TenantContext,
  options: MigrateAllOptions = {},
): Promise<MigrateAllSummary> {
  const latest = latestVersion(ctx.tenantMigrations);
  let orgs = await listOrganizations(ctx.control, ['active', 'suspended']);
  if (options.outdatedOnly) orgs = orgs.filter((o) => o.schemaVersion < latest);
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 4, 64));
  const byCluster = new Map<string, Organization[]>();
  for (const org of orgs) byCluster.set(org.cluster, [...(byCluster.get(org.cluster) ?? []), org]);
  let done = 0;
  const perCluster = await Promise.all(
    [...byCluster.values()].map((onCluster) =>
      mapBounded(onCluster, concurrency, async (org) => {
        const outcome = await migrateTenantReporting(ctx, org);
        options.onProgress?.(++done, orgs.length, outcome);
        return outcome;
      }),
    ),
  );
  return summarize(latest, perCluster.flat());
}

/** Migrates one tenant; a failure is audited and answered as a value, never thrown. */
export async function migrateTenantReporting(
  ctx: TenantContext,
  org: Pick<Organization, 'id' | 'schemaVersion'>,
): Promise<TenantMigration> {
  try {
    return await migrateTenant(ctx, org.id);
  } catch (err) {
    const message = isAppError(err) ? err.message : err instanceof Error ? err.message : String(err);
    await audit(ctx.control, {
      actor: ctx.actor,
      action: 'tenant.migration_failed',
      orgId: org.id,
      details: { error: message },
    }).catch(() => {});
    return {
      orgId: org.id,
      ok: false,
      from: org.schemaVersion,
      to: org.schemaVersion,
      applied: [],
      error: message,
    };
  }
}

/** The summary of a pass over tenants, in org id order. */
export function summarize(latest: number, results: TenantMigration[]): MigrateAllSummary {
  results.sort((a, b) => a.orgId.localeCompare(b.orgId));
  const failed = results.filter((r) => !r.ok);
  return {
    latest,
    total: results.length,
    migrated: results.filter((r) => r.ok && r.applied.length > 0).length,
    upToDate: results.filter((r) => r.ok && r.applied.length === 0).length,
    failed,
    results,
  };
}
