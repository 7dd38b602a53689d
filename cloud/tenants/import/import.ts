// `tenant import ORG --from-url URL --schema SCHEMA [--decommission] [--cluster NAME|--region R]`:
// a tenant of a schema-per-tenant deployment becomes a tenant database (docs/import.md).
//
// Steps (each audited as `tenant.import.<step>`): registered → database_created (empty, its own
// role) → prepared (migrated to the legacy schema's version, which must match it exactly) → frozen
// (the legacy tables locked SHARE: readable, not writable) → copied → verified (counts and checksums)
// → migrated (to this build's latest) → switched (sealed DSN stored, status active, in one
// control-plane transaction) → legacy_frozen (write privileges on the legacy tables revoked) →
// decommissioned (only with --decommission) → completed.
// Anything that fails before `switched` rolls back: the new database and role are dropped and the
// organization row deleted, so a refused import leaves nothing but its audit entries. A killed run
// leaves the org `provisioning` with the import's marker; running the same command again drops what
// the killed run made and starts the copy over (it finishes), or, after `switched`, finishes the
// freeze and the decommission.

import type pg from 'pg';
import { quoteIdent, type SqlDatabase, type SqlQueryable } from '../../../src/db/sql.ts';
import { sanitizeText } from '../../../src/domain/bounds.ts';
import { tenantDatabaseName } from '../../../src/domain/org-id.ts';
import { AppError } from '../../../src/errors.ts';
import { latestVersion } from '../../../src/migrate/files.ts';
import { migrate } from '../../../src/migrate/runner.ts';
import { requireClusterName, requireRegion } from '../../clusters/validate.ts';
import { audit } from '../../control/audit.ts';
import { getCluster } from '../../control/clusters.ts';
import { storeConnectionString } from '../../control/connection-strings.ts';
import {
  getOrganization,
  insertOrganization,
  type Organization,
  setSchemaVersion,
  setStatus,
} from '../../control/organizations.ts';
import type { Engine } from '../../engines/engine.ts';
import { createPgDatabase } from '../../engines/pg-database.ts';
import { randomSecret } from '../../secrets/passwords.ts';
import { engineOf, type TenantContext, tenantMigrationTarget, withOrgLock } from '../context.ts';
import { type PlacementRequest, placeTenant } from '../placement.ts';
import { requireCurrency, requireName, requireOrgId, requireTimeZone } from '../validate.ts';
import { copyTables, verifyCopy } from './copy.ts';
import { onClient } from './copy-stream.ts';
import {
  legacySetting,
  readLedger,
  readStructure,
  requireLegacySchema,
  requireSourceUrl,
  type Structure,
  schemaExists,
  sourceLabel,
} from './legacy-source.ts';
import { describeDiff, diffSize, diffStructure, type StructureDiff } from './structure.ts';

export interface ImportInput {
  orgId: string;
  fromUrl: string;
  schema: string;
  /** The organization's name; default the legacy `organization_name` setting, else the org id. */
  name?: string | undefined;
  decommission?: boolean | undefined;
  cluster?: string | undefined;
  region?: string | undefined;
  /** How long to wait for the legacy tables' locks before refusing (default 10 s). */
  lockTimeoutMs?: number | undefined;
}

export interface ImportResult {
  orgId: string;
  database: string;
  cluster: string;
  source: string;
  schema: string;
  /** The tenant schema version the legacy schema was found at. */
  legacyVersion: number;
  schemaVersion: number;
  tables: { table: string; rows: number; checksum: string }[];
  rows: number;
  /** How long the legacy tables were locked against writes, in ms. */
  frozenMs: number;
  decommissioned: boolean;
  /** An interrupted import was finished (the copy starts over when it had not switched). */
  resumed: boolean;
  /** The import had already switched: this run only finished the freeze (and the decommission). */
  alreadyImported: boolean;
}

/** What the org row remembers of its import (in `onboarding.import`), so a rerun recognises it. */
interface ImportMarker {
  source: string;
  schema: string;
}

const markerOf = (org: Organization): ImportMarker | undefined =>
  (org.onboarding as unknown as { import?: ImportMarker }).import;

interface Checked {
  orgId: string;
  fromUrl: string;
  schema: string;
  source: string;
  name: string | undefined;
  placement: PlacementRequest;
}

/** Checks the operator's input before anything is opened or written. */
export function validateImportInput(input: ImportInput): Checked {
  const fromUrl = requireSourceUrl(input.fromUrl);
  return {
    orgId: requireOrgId(input.orgId),
    fromUrl,
    schema: requireLegacySchema(input.schema),
    source: sourceLabel(fromUrl),
    name: input.name === undefined ? undefined : requireName(input.name),
    placement: {
      ...(input.cluster === undefined ? {} : { cluster: requireClusterName(input.cluster) }),
      ...(input.region === undefined ? {} : { region: requireRegion(input.region) }),
    },
  };
}

export async function importTenant(ctx: TenantContext, input: ImportInput): Promise<ImportResult> {
  const orgIdShown = sanitizeText(String(input.orgId ?? ''), 64);
  const refused = async (err: unknown, orgId?: string) => {
    if (err instanceof AppError) {
      await audit(ctx.control, {
        actor: ctx.actor,
        action: 'tenant.import.refused',
        ...(orgId ? { orgId } : {}),
        details: {
          code: err.code,
          message: err.message,
          orgId: orgIdShown,
          schema: sanitizeText(String(input.schema ?? ''), 70),
          cluster: input.cluster === undefined ? null : sanitizeText(String(input.cluster), 64),
          region: input.region === undefined ? null : sanitizeText(String(input.region), 64),
        },
      }).catch(() => {});
    }
    return err;
  };
  let checked: Checked;
  try {
    checked = validateImportInput(input);
    if (ctx.engine.kind !== 'postgres') {
      throw new AppError(
        'conflict',
        'import needs the postgres engine (MODERNPOS_PG_URL): the embedded engine has no PostgreSQL to create the tenant database on',
      );
    }
  } catch (err) {
    throw await refused(err);
  }
  const { orgId } = checked;
  try {
    return await withOrgLock(ctx, orgId, () => importLocked(ctx, checked, input));
  } catch (err) {
    throw await refused(err, orgId);
  }
}

async function importLocked(ctx: TenantContext, c: Checked, input: ImportInput): Promise<ImportResult> {
  const { orgId, schema, source } = c;
  const database = tenantDatabaseName(orgId);
  const step = async (action: string, details: Record<string, unknown> = {}) => {
    await audit(ctx.control, { actor: ctx.actor, action: `tenant.import.${action}`, orgId, details });
    await ctx.afterStep?.(action, orgId);
  };
  const legacy = createPgDatabase({
    connectionString: c.fromUrl,
    max: 2,
    applicationName: 'modernpos-import',
    connectionTimeoutMillis: 10_000,
  });
  try {
    await reach(legacy, c);
    const existing = await getOrganization(ctx.control, orgId);
    let resumed = false;
    if (existing) {
      const marker = markerOf(existing);
      if (!marker || existing.status === 'offboarding' || existing.status === 'offboarded') {
        throw new AppError('conflict', `organization ${orgId} already exists (status ${existing.status})`, {
          orgId,
          status: existing.status,
        });
      }
      if (marker.schema !== schema || marker.source !== source) {
        throw new AppError(
          'conflict',
          `organization ${orgId} was imported from schema ${marker.schema} of ${marker.source}, not ${schema} of ${source}; run that import again to finish it`,
        );
      }
      if (existing.status !== 'provisioning')
        return await finishSwitched(ctx, legacy, c, existing, input, step);
      resumed = true;
    }
    const structure = await inspect(legacy, c).catch(async (err: unknown) => {
      // The legacy schema changed (or went) since the killed run: what that run made is rolled back.
      if (existing) await rollBack(ctx, await engineOf(ctx, existing), existing, String(err));
      throw err;
    });
    if (resumed) {
      await audit(ctx.control, {
        actor: ctx.actor,
        action: 'tenant.import.resumed',
        orgId,
        details: { cluster: existing?.cluster, schema, source },
      });
    }
    const org = existing ?? (await register(ctx, legacy, c));
    const engine = await engineOf(ctx, org);
    if (!resumed)
      await step('registered', { cluster: org.cluster, region: org.region, database, schema, source });
    return await copyAndSwitch(ctx, legacy, engine, org, structure, c, input, resumed, step);
  } finally {
    await legacy.close();
  }
}

async function reach(legacy: SqlDatabase, c: Checked): Promise<void> {
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
async function inspect(legacy: SqlDatabase, c: Checked): Promise<Structure> {
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
async function register(ctx: TenantContext, legacy: SqlDatabase, c: Checked): Promise<Organization> {
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
  const engine = await engineOf(ctx, org);
  if (await engine.databaseExists(org.databaseName)) {
    await deleteProvisioning(ctx, c.orgId);
    throw new AppError(
      'conflict',
      `database ${org.databaseName} already exists on cluster ${org.cluster} but is not registered; refusing to adopt it`,
    );
  }
  return org;
}

function safely<T, D>(fn: () => T, fallback: D): T | D {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

async function deleteProvisioning(ctx: TenantContext, orgId: string): Promise<void> {
  await ctx.control.query("DELETE FROM organizations WHERE id = $1 AND status = 'provisioning'", [orgId]);
}

type Step = (action: string, details?: Record<string, unknown>) => Promise<void>;

/** Drops what an import that did not switch made: the database, its role, the DSN and the org row. */
async function rollBack(
  ctx: TenantContext,
  engine: Engine,
  org: Organization,
  reason: string,
): Promise<void> {
  await engine.dropDatabase(org.databaseName);
  await engine.dropTenantRole(org.databaseName);
  await ctx.control.query('DELETE FROM tenant_connection_strings WHERE org_id = $1', [org.id]);
  await deleteProvisioning(ctx, org.id);
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.import.rolled_back',
    orgId: org.id,
    details: { reason, cluster: org.cluster },
  });
}

async function copyAndSwitch(
  ctx: TenantContext,
  legacy: SqlDatabase & { pool: pg.Pool },
  engine: Engine,
  org: Organization,
  structure: Structure,
  c: Checked,
  input: ImportInput,
  resumed: boolean,
  step: Step,
): Promise<ImportResult> {
  const { orgId, schema } = c;
  const database = org.databaseName;
  let switched = false;
  let legacyVersion = 0;
  let tables: ImportResult['tables'] = [];
  let frozenMs = 0;
  const latest = latestVersion(ctx.tenantMigrations);
  try {
    // A resumed import starts its copy over: what the killed run made is dropped first.
    if (resumed && (await engine.databaseExists(database))) await engine.dropDatabase(database);
    await engine.createDatabase(database);
    await step('database_created', { cluster: org.cluster });
    const db = engine.openDatabase(database, 2);
    try {
      const dsn = await engine.grantTenantAccess(database, randomSecret(24), db);
      await step('access_granted');
      legacyVersion = await prepareAtLegacyVersion(ctx, legacy, engine, db, c, structure);
      await step('prepared', { legacyVersion });
      // The freeze: SHARE locks let the legacy application read but make every write wait until
      // the import has switched; one snapshot (REPEATABLE READ) is copied and verified.
      await onClient(legacy.pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ', async (source, stx) => {
        await stx.exec(
          `SET LOCAL lock_timeout = ${Math.max(1, Math.trunc(input.lockTimeoutMs ?? 10_000))}; SET LOCAL idle_in_transaction_session_timeout = 0; SET LOCAL TimeZone = 'UTC'`,
        );
        const names = [...structure.keys()].sort().map((t) => `${quoteIdent(schema)}.${quoteIdent(t)}`);
        try {
          await stx.exec(`LOCK TABLE ${names.join(', ')} IN SHARE MODE`);
        } catch (err) {
          if ((err as { code?: string }).code === '55P03') {
            throw new AppError(
              'conflict',
              `the legacy tables of schema ${schema} are being written and could not be frozen within ${input.lockTimeoutMs ?? 10_000} ms; stop the legacy application's writers and run the import again`,
            );
          }
          throw err;
        }
        const frozenAt = Date.now();
        await step('frozen', { tables: names.length });
        const copied = await onClient(poolOf(db), 'BEGIN', async (target, ttx) => {
          await ttx.exec("SET LOCAL TimeZone = 'UTC'");
          return copyTables(source, target, schema, structure);
        });
        const rows = copied.reduce((n, t) => n + t.rows, 0);
        await step('copied', { tables: copied.length, rows });
        tables = await verifyCopy(stx, db, schema, structure);
        await step('verified', { tables: tables.length, rows });
        const migrated = await migrate(tenantMigrationTarget({ engine }, database, db), ctx.tenantMigrations);
        if (migrated.current !== latest)
          throw new AppError(
            'operation_failed',
            `${database} stopped at schema ${migrated.current}, not ${latest}`,
          );
        await step('migrated', { from: legacyVersion, to: migrated.current, applied: migrated.applied });
        await revokeLegacyWrites(stx, schema);
        await ctx.control.transaction(async (tx) => {
          await storeConnectionString(tx, orgId, ctx.keyring.seal(dsn, orgId));
          await setSchemaVersion(tx, orgId, migrated.current);
          if (!(await setStatus(tx, orgId, 'active', ['provisioning'])))
            throw new AppError(
              'conflict',
              `organization ${orgId} left provisioning while it was being imported`,
            );
        });
        switched = true;
        frozenMs = Date.now() - frozenAt;
        await ctx.onTenantChanged?.(orgId);
        await step('switched', {
          keyId: ctx.keyring.currentKeyId,
          schemaVersion: migrated.current,
          frozenMs,
        });
      });
    } finally {
      await db.close();
    }
  } catch (err) {
    if (!switched) {
      await rollBack(ctx, engine, org, err instanceof Error ? err.message : String(err)).catch(() => {});
    }
    throw err;
  }
  await step('legacy_frozen', { schema });
  const decommissioned = input.decommission ? await decommission(legacy, schema, step) : false;
  await step('completed', { decommissioned });
  return {
    orgId,
    database,
    cluster: org.cluster,
    source: c.source,
    schema,
    legacyVersion,
    schemaVersion: latest,
    tables,
    rows: tables.reduce((n, t) => n + t.rows, 0),
    frozenMs,
    decommissioned,
    resumed,
    alreadyImported: false,
  };
}

/**
 * Migrates the empty new database one version at a time until its tables and columns are exactly the
 * legacy schema's (at the version its ledger names, when it has one). Nothing matching is refused,
 * with the differences from the closest version.
 */
async function prepareAtLegacyVersion(
  ctx: TenantContext,
  legacy: SqlDatabase,
  engine: Engine,
  db: SqlDatabase,
  c: Checked,
  structure: Structure,
): Promise<number> {
  const set = ctx.tenantMigrations;
  const target = tenantMigrationTarget({ engine }, tenantDatabaseName(c.orgId), db);
  const ledger = await readLedger(legacy, c.schema);
  if (ledger) {
    for (const [version, checksum] of ledger) {
      const m = set.migrations.find((x) => x.version === version);
      if (!m) {
        throw new AppError(
          'migration_mismatch',
          `schema ${c.schema} records tenant migration ${version}, which this build does not have; import it with a build at least that new`,
        );
      }
      if (m.checksum !== checksum) {
        throw new AppError(
          'migration_mismatch',
          `schema ${c.schema} records tenant migration ${m.file} with another checksum: its tables are not this build's at that version`,
        );
      }
    }
    const version = Math.max(...ledger.keys());
    await migrate(target, set, { toVersion: version });
    const diff = diffStructure(structure, await readStructure(db, 'public'));
    if (diffSize(diff) > 0) throw layoutRefused(c, version, diff, true);
    return version;
  }
  let best: { version: number; diff: StructureDiff } | undefined;
  for (const m of set.migrations) {
    await migrate(target, set, { toVersion: m.version });
    const diff = diffStructure(structure, await readStructure(db, 'public'));
    if (diffSize(diff) === 0) return m.version;
    if (!best || diffSize(diff) <= diffSize(best.diff)) best = { version: m.version, diff };
  }
  throw layoutRefused(c, best?.version ?? 0, best?.diff, false);
}

function layoutRefused(
  c: Checked,
  version: number,
  diff: StructureDiff | undefined,
  fromLedger: boolean,
): AppError {
  const why = diff ? describeDiff(diff) : 'no tenant migrations';
  return new AppError(
    'invalid_input',
    fromLedger
      ? `schema ${c.schema} does not hold the tenant tables of schema version ${version} its ledger records: ${why}; nothing was imported`
      : `schema ${c.schema} does not hold the tenant tables of any schema version (closest: ${version}): ${why}; nothing was imported`,
    { schema: c.schema, closestVersion: version, ...diff },
  );
}

/**
 * Takes INSERT, UPDATE, DELETE and TRUNCATE on the legacy tables from every role that holds them
 * (the owner included), so a legacy application still running cannot write into a schema whose
 * tenant now lives elsewhere. Reads stay allowed. Superusers are not stopped by privileges.
 */
async function revokeLegacyWrites(db: SqlQueryable, schema: string): Promise<void> {
  const rows = await db.query<{ grantee: string }>(
    `SELECT DISTINCT CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(acl.grantee)) END AS grantee
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
            aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) acl
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND acl.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')`,
    [schema],
  );
  if (rows.length === 0) return;
  await db.exec(
    `REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA ${quoteIdent(schema)} FROM ${rows.map((r) => r.grantee).join(', ')}`,
  );
}

async function decommission(legacy: SqlDatabase, schema: string, step: Step): Promise<boolean> {
  await legacy.exec(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  await step('decommissioned', { schema });
  return true;
}

/** The import switched in an earlier run: finish the freeze and, if asked, the decommission. */
async function finishSwitched(
  ctx: TenantContext,
  legacy: SqlDatabase,
  c: Checked,
  org: Organization,
  input: ImportInput,
  step: Step,
): Promise<ImportResult> {
  const [switched] = await ctx.control.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_logs WHERE org_id = $1 AND action = 'tenant.import.switched'",
    [org.id],
  );
  if (Number(switched?.n ?? 0) === 0) {
    throw new AppError(
      'conflict',
      `organization ${org.id} is ${org.status} but its import from schema ${c.schema} never switched to it; the legacy schema is left as it is`,
    );
  }
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.import.resumed',
    orgId: org.id,
    details: { cluster: org.cluster, schema: c.schema, source: c.source, status: org.status },
  });
  if (await schemaExists(legacy, c.schema)) {
    await revokeLegacyWrites(legacy, c.schema);
    await step('legacy_frozen', { schema: c.schema });
  }
  const decommissioned =
    input.decommission === true && (await schemaExists(legacy, c.schema))
      ? await decommission(legacy, c.schema, step)
      : false;
  await step('completed', { decommissioned, alreadyImported: true });
  return {
    orgId: org.id,
    database: org.databaseName,
    cluster: org.cluster,
    source: c.source,
    schema: c.schema,
    legacyVersion: 0,
    schemaVersion: org.schemaVersion,
    tables: [],
    rows: 0,
    frozenMs: 0,
    decommissioned,
    resumed: true,
    alreadyImported: true,
  };
}

/** The pool behind a postgres engine's handle (every cluster an import writes to is postgres). */
function poolOf(db: SqlDatabase): pg.Pool {
  const pool = (db as { pool?: pg.Pool }).pool;
  if (!pool) throw new AppError('operation_failed', 'import needs a PostgreSQL cluster to copy into');
  return pool;
}
