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
import type { SqlDatabase } from '../../../src/db/sql.ts';
import { sanitizeText } from '../../../src/domain/bounds.ts';
import { tenantDatabaseName } from '../../../src/domain/org-id.ts';
import { AppError } from '../../../src/errors.ts';
import { latestVersion } from '../../../src/migrate/files.ts';
import { migrate } from '../../../src/migrate/runner.ts';
import { audit, auditingRefusals } from '../../control/audit.ts';
import { getOrganization, type Organization } from '../../control/organizations.ts';
import type { Engine } from '../../engines/engine.ts';
import { createPgDatabase } from '../../engines/pg-database.ts';
import { randomSecret } from '../../secrets/passwords.ts';
import { engineOf, type TenantContext, tenantMigrationTarget, withOrgLock } from '../context.ts';
import { copyTables, verifyCopy } from './copy.ts';
import { onClient } from './copy-stream.ts';
import { decommission, freezeLegacyTables, revokeLegacyWrites } from './legacy-freeze.ts';
import type { Structure } from './legacy-source.ts';
import { prepareAtLegacyVersion } from './prepare.ts';
import { inspect, reach, register } from './register.ts';
import {
  type Checked,
  type ImportInput,
  type ImportResult,
  markerOf,
  type Step,
  validateImportInput,
} from './request.ts';
import { finishSwitched, rollBack } from './resume.ts';
import { switchToTenantDatabase } from './switch.ts';

export async function importTenant(ctx: TenantContext, input: ImportInput): Promise<ImportResult> {
  const refusal = (orgId?: string) => ({
    action: 'tenant.import.refused',
    orgId,
    details: {
      orgId: sanitizeText(String(input.orgId ?? ''), 64),
      schema: sanitizeText(String(input.schema ?? ''), 70),
      cluster: input.cluster === undefined ? null : sanitizeText(String(input.cluster), 64),
      region: input.region === undefined ? null : sanitizeText(String(input.region), 64),
    },
  });
  const checked = await auditingRefusals(ctx, refusal(), async () => {
    const valid = validateImportInput(input);
    if (ctx.engine.kind !== 'postgres') {
      throw new AppError(
        'conflict',
        'import needs the postgres engine (MODERNPOS_PG_URL): the embedded engine has no PostgreSQL to create the tenant database on',
      );
    }
    return valid;
  });
  const { orgId } = checked;
  return auditingRefusals(ctx, refusal(orgId), () =>
    withOrgLock(ctx, orgId, () => importLocked(ctx, checked, input)),
  );
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
      const dsn = await engine.roles.grantTenantAccess(database, randomSecret(24), db);
      await step('access_granted');
      legacyVersion = await prepareAtLegacyVersion(ctx, legacy, engine, db, c, structure);
      await step('prepared', { legacyVersion });
      // The freeze (legacy-freeze.ts) holds for one snapshot (REPEATABLE READ), which is copied and
      // verified, and lasts until the switch.
      await onClient(legacy.pool, 'BEGIN ISOLATION LEVEL REPEATABLE READ', async (source, stx) => {
        const frozenTables = await freezeLegacyTables(stx, schema, structure, input.lockTimeoutMs);
        const frozenAt = Date.now();
        await step('frozen', { tables: frozenTables });
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
        await switchToTenantDatabase(ctx, orgId, dsn, migrated.current);
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

/** The pool behind a postgres engine's handle (every cluster an import writes to is postgres). */
function poolOf(db: SqlDatabase): pg.Pool {
  const pool = (db as { pool?: pg.Pool }).pool;
  if (!pool) throw new AppError('operation_failed', 'import needs a PostgreSQL cluster to copy into');
  return pool;
}
