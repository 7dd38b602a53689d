// Onboarding (SPEC §5 `tenant create`): every step audited, idempotent and resumable. The org row
// is written first, so any database or role that exists is one the control plane knows about; a
// crash anywhere leaves `provisioning`, and running the same command again finishes the job.
import { sanitizeText } from '../../src/domain/bounds.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { AppError, isAppError } from '../../src/errors.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { requireClusterName, requireRegion } from '../clusters/validate.ts';
import { audit, auditingRefusals } from '../control/audit.ts';
import { getCluster } from '../control/clusters.ts';
import { storeConnectionString } from '../control/connection-strings.ts';
import {
  getOrganization,
  insertOrganization,
  type OnboardingRequest,
  type Organization,
  setSchemaVersion,
  setStatus,
} from '../control/organizations.ts';
import type { Engine } from '../engines/engine.ts';
import { hashSecret, randomSecret } from '../secrets/passwords.ts';
import { engineOf, type TenantContext, tenantMigrationTarget, withOrgLock } from './context.ts';
import { type PlacementRequest, placeTenant } from './placement.ts';
import { seedTenant } from './seed.ts';
import { createFromTemplate } from './template.ts';
import { reachNewTenantCluster } from './unregistered-database.ts';
import { requireCurrency, requireEmail, requireName, requireOrgId, requireTimeZone } from './validate.ts';

export interface OnboardInput {
  orgId: string;
  name: string;
  ownerEmail?: string | undefined;
  timezone?: string | undefined;
  currency?: string | undefined;
  /** The cluster to create it on (`--cluster`); otherwise the least-loaded one that takes new tenants. */
  cluster?: string | undefined;
  /** The region it must live in (`--region`): never placed (or moved) outside it. */
  region?: string | undefined;
}

/** SPEC §6: what `tenant create --json` prints. The password is shown this once and stored only hashed. */
export interface OnboardResult {
  orgId: string;
  database: string;
  ownerEmail: string;
  ownerPassword: string;
  /** The cluster its database is on. */
  cluster: string;
  resumed: boolean;
}

/** Checks and normalises onboarding input; throws `invalid_input` before anything is written. */
export function validateOnboardInput(input: OnboardInput): {
  orgId: string;
  name: string;
  request: OnboardingRequest;
} {
  return {
    orgId: requireOrgId(input.orgId),
    name: requireName(input.name),
    request: {
      ownerEmail: requireEmail(input.ownerEmail ?? 'owner@example.com'),
      timezone: requireTimeZone(input.timezone ?? 'UTC'),
      currency: requireCurrency(input.currency ?? 'USD'),
    },
  };
}

export async function onboardTenant(ctx: TenantContext, input: OnboardInput): Promise<OnboardResult> {
  const { orgId, name, request } = validateOnboardInput(input);
  const placement = await auditRefusal(ctx, orgId, input, async () => ({
    ...(input.cluster === undefined ? {} : { cluster: requireClusterName(input.cluster) }),
    ...(input.region === undefined ? {} : { region: requireRegion(input.region) }),
  }));
  // Two onboardings of one org (a retried request, two operators) run one after the other: the
  // second then finds the org active and answers a conflict.
  return withOrgLock(ctx, orgId, () => onboardLocked(ctx, orgId, name, request, placement));
}

/** A refused placement (bad, unknown, draining or out-of-region cluster) is audited; nothing else is written. */
const auditRefusal = <T>(
  ctx: TenantContext,
  orgId: string,
  input: { cluster?: string | undefined; region?: string | undefined },
  fn: () => Promise<T>,
): Promise<T> =>
  auditingRefusals(
    ctx,
    {
      action: 'tenant.onboard.refused',
      orgId,
      details: {
        cluster: input.cluster === undefined ? null : sanitizeText(String(input.cluster), 64),
        region: input.region === undefined ? null : sanitizeText(String(input.region), 64),
      },
    },
    fn,
  );

async function onboardLocked(
  ctx: TenantContext,
  orgId: string,
  name: string,
  request: OnboardingRequest,
  placement: PlacementRequest,
): Promise<OnboardResult> {
  const database = tenantDatabaseName(orgId);
  const ownerPassword = randomSecret(16);
  // scrypt runs on the thread pool while the database steps below run.
  const ownerHash = hashSecret(ownerPassword);
  ownerHash.catch(() => {});

  const { org, engine, resumed } = await register(ctx, { orgId, name, database, request, placement });
  const step = async (action: string, details: Record<string, unknown> = {}) => {
    await audit(ctx.control, { actor: ctx.actor, action: `tenant.onboard.${action}`, orgId, details });
    await ctx.afterStep?.(action, orgId);
  };
  await step('registered', { name: org.name, cluster: org.cluster, region: org.region, database });

  if (!(await engine.databaseExists(database))) {
    await createFromTemplate(ctx, engine, database);
    await step('database_created', { template: ctx.templateDatabase, cluster: org.cluster });
  }

  const db = engine.openDatabase(database);
  let dsn: string;
  let schemaVersion: number;
  try {
    dsn = await engine.roles.grantTenantAccess(database, randomSecret(24), db);
    await step('access_granted');
    const migrated = await migrate(tenantMigrationTarget({ engine }, database, db), ctx.tenantMigrations);
    schemaVersion = migrated.current;
    await step('migrated', { schemaVersion, applied: migrated.applied });
    await seedTenant(db, org, await ownerHash);
    await step('seeded', { ownerEmail: org.onboarding.ownerEmail });
  } finally {
    await db.close();
  }

  await storeConnectionString(ctx.control, orgId, ctx.keyring.seal(dsn, orgId));
  await step('credentials_stored', { keyId: ctx.keyring.currentKeyId });

  const activated = await ctx.control.transaction(async (tx) => {
    await setSchemaVersion(tx, orgId, schemaVersion);
    return setStatus(tx, orgId, 'active', ['provisioning']);
  });
  if (!activated)
    throw new AppError('conflict', `organization ${orgId} left provisioning while it was being onboarded`);
  await ctx.onTenantChanged?.(orgId);
  await step('completed');
  return {
    orgId,
    database,
    ownerEmail: org.onboarding.ownerEmail,
    ownerPassword,
    cluster: org.cluster,
    resumed,
  };
}

/**
 * Inserts the org in `provisioning` on the cluster placement chooses, or picks up one a previous run
 * left there (on the cluster it was placed on then, whatever this run asked for).
 */
async function register(
  ctx: TenantContext,
  input: RegisterInput,
): Promise<{ org: Organization; engine: Engine; resumed: boolean }> {
  let engine: Engine | undefined;
  if (!(await getOrganization(ctx.control, input.orgId))) {
    engine = await auditRefusal(ctx, input.orgId, input.placement, () => placeAndInsert(ctx, input));
  }
  const org = await getOrganization(ctx.control, input.orgId);
  if (!org) throw new Error(`organization ${input.orgId} vanished while onboarding`);
  if (engine) return { org, engine, resumed: false };
  // An interrupted `tenant import` is finished by running the import again, never as an empty tenant.
  if (org.status !== 'provisioning' || 'import' in org.onboarding) {
    throw new AppError('conflict', `organization ${input.orgId} already exists (status ${org.status})`, {
      orgId: input.orgId,
      status: org.status,
    });
  }
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.onboard.resumed',
    orgId: input.orgId,
    details: { cluster: org.cluster },
  });
  return { org, engine: await engineOf(ctx, org), resumed: true };
}

interface RegisterInput {
  orgId: string;
  name: string;
  database: string;
  request: OnboardingRequest;
  placement: PlacementRequest;
}

/** Placements tried for one onboarding without `--cluster` when the chosen cluster does not answer. */
const PLACEMENT_ATTEMPTS = 2;

/**
 * Places the org, inserts it and reaches its cluster: the engine, or undefined if another run
 * inserted it first. A cluster placement chose by what it knew (not asked for with `--cluster`) that
 * turns out not to answer is passed by once: the org is placed again on another.
 */
async function placeAndInsert(ctx: TenantContext, input: RegisterInput): Promise<Engine | undefined> {
  for (let attempt = 1; ; attempt++) {
    const placed = await placeTenant(ctx, input.placement);
    // The cluster row is held (FOR SHARE) while the org is inserted: a drain or remove that commits
    // first is seen, one that comes later waits for this insert and then counts this tenant.
    const inserted = await ctx.control.transaction(async (tx) => {
      const cluster = await getCluster(tx, placed.cluster, 'share');
      if (cluster?.status !== 'active') {
        throw new AppError(
          'conflict',
          `cluster ${placed.cluster} stopped taking new tenants while ${input.orgId} was being placed; run the command again`,
        );
      }
      return insertOrganization(tx, {
        id: input.orgId,
        name: input.name,
        cluster: placed.cluster,
        region: placed.region,
        databaseName: input.database,
        onboarding: input.request,
      });
    });
    if (!inserted) return undefined;
    try {
      return await reachNewTenantCluster(ctx, {
        orgId: input.orgId,
        database: input.database,
        cluster: placed.cluster,
      });
    } catch (err) {
      const again =
        input.placement.cluster === undefined &&
        attempt < PLACEMENT_ATTEMPTS &&
        isAppError(err) &&
        err.code === 'database_unavailable';
      if (!again) throw err;
    }
  }
}
