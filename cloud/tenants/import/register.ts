// Before an import creates anything: the legacy database answers, the schema exists and holds tables,
// and the tenant is placed and registered (`provisioning`, with the import's marker) exactly once.
import type { SqlDatabase } from '../../../src/db/sql.ts';
import { tenantDatabaseName } from '../../../src/domain/org-id.ts';
import { AppError } from '../../../src/errors.ts';
import { getCluster } from '../../control/clusters.ts';
import { getOrganization, insertOrganization, type Organization } from '../../control/organizations.ts';
import type { TenantContext } from '../context.ts';
import { placeTenant } from '../placement.ts';
import { reachNewTenantCluster } from '../unregistered-database.ts';
import { requireCurrency, requireName, requireTimeZone } from '../validate.ts';
import { legacySetting, readStructure, type Structure, schemaExists } from './legacy-source.ts';
import type { Checked, ImportMarker } from './request.ts';

export async function reach(legacy: SqlDatabase, c: Checked): Promise<void> {
  try {
    await legacy.query('SELECT 1');
  } catch (err) {
    throw new AppError(
      'database_unavailable',
      `the legacy database ${c.source} does not answer (${(err as Error).message}); nothing was created`,
    );
  }
}

/** Reads the legacy schema's tables: a missing or empty schema is refused. */
export async function inspect(legacy: SqlDatabase, c: Checked): Promise<Structure> {
  if (!(await schemaExists(legacy, c.schema)))
    throw new AppError('not_found', `schema ${c.schema} not found in the legacy database ${c.source}`);
  const structure = await readStructure(legacy, c.schema);
  if (structure.size === 0)
    throw new AppError(
      'invalid_input',
      `schema ${c.schema} of ${c.source} holds no tables; nothing to import`,
    );
  return structure;
}

/** Places the tenant and inserts its org row in `provisioning` with the import's marker. */
export async function register(ctx: TenantContext, legacy: SqlDatabase, c: Checked): Promise<Organization> {
  const placed = await placeTenant(ctx, c.placement);
  const legacyName = await legacySetting(legacy, c.schema, 'organization_name');
  const orgName = c.name ?? safely(() => requireName(legacyName), undefined) ?? c.orgId;
  const timezone = (await legacySetting(legacy, c.schema, 'time_zone')) ?? 'UTC';
  const currency = (await legacySetting(legacy, c.schema, 'currency')) ?? 'USD';
  const onboarding = {
    ownerEmail: 'owner@example.com',
    timezone: safely(() => requireTimeZone(timezone), 'UTC'),
    currency: safely(() => requireCurrency(currency), 'USD'),
    import: { source: c.source, schema: c.schema } satisfies ImportMarker,
  };
  const inserted = await ctx.control.transaction(async (tx) => {
    // One legacy schema becomes one tenant: a second import of it (under another org id) would
    // duplicate every sale. Imports of one schema register one after the other.
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `modernpos-import:${c.source}/${c.schema}`,
    ]);
    const [other] = await tx.query<{ id: string }>(
      `SELECT id FROM organizations WHERE onboarding->'import'->>'source' = $1
          AND onboarding->'import'->>'schema' = $2 AND id <> $3 AND status <> 'offboarded'`,
      [c.source, c.schema, c.orgId],
    );
    if (other) {
      throw new AppError(
        'conflict',
        `schema ${c.schema} of ${c.source} is already imported as organization ${other.id}; one legacy schema becomes one tenant`,
        { orgId: other.id },
      );
    }
    const cluster = await getCluster(tx, placed.cluster, 'share');
    if (cluster?.status !== 'active') {
      throw new AppError(
        'conflict',
        `cluster ${placed.cluster} stopped taking new tenants while ${c.orgId} was being placed; run the command again`,
      );
    }
    return insertOrganization(tx, {
      id: c.orgId,
      name: orgName,
      cluster: placed.cluster,
      region: placed.region,
      databaseName: tenantDatabaseName(c.orgId),
      onboarding,
    });
  });
  if (!inserted) throw new AppError('conflict', `organization ${c.orgId} already exists`);
  const org = await getOrganization(ctx.control, c.orgId);
  if (!org) throw new Error(`organization ${c.orgId} vanished while importing`);
  await reachNewTenantCluster(ctx, { orgId: c.orgId, database: org.databaseName, cluster: org.cluster });
  return org;
}

function safely<T, D>(fn: () => T, fallback: D): T | D {
  try {
    return fn();
  } catch {
    return fallback;
  }
}
