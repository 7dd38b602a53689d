// `tenant restore ORG --from FILE [--replace | --as NEW_ORG] [--cluster NAME]`: a backup (or export)
// loaded back, over the tenant itself or as a new tenant. The file is checked before anything is
// written (a backup, of this tenant, of a schema this build can migrate). A backup of an older schema
// is loaded into a scratch database at its own version and migrated there first. The tenant's
// database is then emptied and loaded in ONE transaction that first locks every table: in-flight
// transactions finish, new ones (sync batches, HQ writes) wait for the commit and see the restored
// data, never a half-restored one. Each device's last applied seq goes back to the backup's, so
// every edge pushes again what the restored database no longer has (docs/backup-restore.md).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteIdent, type SqlDatabase, type SqlQueryable } from '../../src/db/sql.ts';
import { sanitizeText } from '../../src/domain/bounds.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { AppError } from '../../src/errors.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { postgresMigrationTarget } from '../../src/migrate/targets.ts';
import { requireClusterName } from '../clusters/validate.ts';
import { audit } from '../control/audit.ts';
import { deleteConnectionString } from '../control/connection-strings.ts';
import { getOrganization, type Organization, setSchemaVersion } from '../control/organizations.ts';
import type { Engine } from '../engines/engine.ts';
import { engineOf, type TenantContext, withOrgLock, withTemplateLock } from './context.ts';
import { dumpTable, listTables } from './export.ts';
import { migrateTenant } from './migrate.ts';
import { onboardTenant } from './onboard.ts';
import { type ExportManifestOnDisk, loadTables, readTenantExport } from './restore.ts';
import { requireOrgId } from './validate.ts';

export interface RestoreInput {
  /** The tenant the backup is of (and the one restored over, without `as`). */
  orgId: string;
  from: string;
  /** Restore over the existing tenant: its database's contents are replaced (`--replace`). */
  replace?: boolean | undefined;
  /** Restore as this new tenant instead (`--as`). */
  as?: string | undefined;
  /** Where a new tenant is placed (`--cluster`; with `as`, or for a tenant that no longer exists). */
  cluster?: string | undefined;
}

/** What a restore did to one device: the edge pushes again everything after `restoredSeq`. */
export interface DeviceRewind {
  deviceId: string;
  name: string | null;
  /** The device's last applied seq in the restored database. */
  restoredSeq: number;
  /** Its last applied seq just before the restore; null when the device was not in the backup. */
  previousSeq: number | null;
  /** Seqs the edge must push again (previousSeq - restoredSeq); 0 for a device that lost nothing. */
  toResend: number;
}

export interface RestoreResult {
  orgId: string;
  /** The tenant the backup was taken of. */
  backupOf: string;
  from: string;
  mode: 'replaced' | 'created';
  cluster: string;
  backupSchemaVersion: number;
  schemaVersion: number;
  takenAt: string | null;
  tables: number;
  rows: number;
  /** How long the tenant's tables were locked (writes waited) for the swap. */
  freezeMs: number;
  /** Catalog rows changed after the backup, announced again so edges that pulled them get the restored row (or its deletion). */
  catalogReannounced: number;
  devices: DeviceRewind[];
  /** Devices registered after the backup: not in the restored database, they must be registered again. */
  devicesLost: { deviceId: string; name: string | null; previousSeq: number }[];
}

/** Longest a restore waits for in-flight transactions on the tenant before giving up (retryable). */
const LOCK_TIMEOUT = '30s';

export async function restoreTenant(ctx: TenantContext, input: RestoreInput): Promise<RestoreResult> {
  const source = requireOrgId(input.orgId);
  const target = input.as === undefined ? source : requireOrgId(input.as);
  return refusalAudited(ctx, target, input, async () => {
    const cluster = input.cluster === undefined ? undefined : requireClusterName(input.cluster);
    if (typeof input.from !== 'string' || input.from === '') {
      throw new AppError(
        'invalid_input',
        'usage: modernpos tenant restore ORG --from FILE [--replace | --as NEW_ORG]',
      );
    }
    if (input.as !== undefined && input.replace) {
      throw new AppError(
        'invalid_input',
        '--replace restores over ORG, --as restores as a new tenant: choose one',
      );
    }
    if (input.as !== undefined && target === source) {
      throw new AppError('invalid_input', `--as names ${source} itself; to restore over it use --replace`);
    }
    return restoreChecked(ctx, source, target, cluster, input);
  });
}

async function refusalAudited<T>(
  ctx: TenantContext,
  orgId: string,
  input: RestoreInput,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) {
      await audit(ctx.control, {
        actor: ctx.actor,
        action: 'tenant.restore.refused',
        orgId,
        details: { code: err.code, message: err.message, from: sanitizeText(String(input.from), 500) },
      }).catch(() => {});
    }
    throw err;
  }
}

async function restoreChecked(
  ctx: TenantContext,
  source: string,
  target: string,
  cluster: string | undefined,
  input: RestoreInput,
): Promise<RestoreResult> {
  const latest = latestVersion(ctx.tenantMigrations);
  const work = mkdtempSync(join(tmpdir(), 'modernpos-restore-'));
  try {
    const backupDir = join(work, 'backup');
    mkdirSync(backupDir);
    const manifest = await readTenantExport(input.from, backupDir);
    if (manifest.orgId !== source) {
      throw new AppError(
        'invalid_input',
        `${input.from} is a backup of ${manifest.orgId}, not of ${source}; run: modernpos tenant restore ${manifest.orgId} --from FILE --as ${target === source ? 'NEW_ORG' : target}`,
      );
    }
    if (manifest.schemaVersion > latest) {
      throw new AppError(
        'conflict',
        `${input.from} was made at tenant schema ${manifest.schemaVersion}; this build knows schema ${latest} at most: restore it with a newer release`,
      );
    }
    if (manifest.schemaVersion < 1) {
      throw new AppError('invalid_input', `${input.from} records no tenant schema version`);
    }
    const existing = await getOrganization(ctx.control, target);
    const resuming = existing !== undefined && (await unfinishedRestoreAs(ctx, target, source));
    const mode = resuming ? 'created' : checkIntent(existing, target, cluster, input);
    // A backup of an older schema: loaded at its own version in a scratch database, migrated there,
    // and snapshotted again at the latest schema, so the tenant itself is only ever touched once.
    const loadable =
      manifest.schemaVersion === latest
        ? { dir: backupDir, manifest }
        : await upgradeInScratch(ctx, existing?.cluster ?? cluster, target, manifest, backupDir, work);
    if (mode === 'created' && !existing && manifest.schemaVersion === latest) {
      await checkAgainstTemplate(ctx, manifest);
    }
    const createdNow = mode === 'created' && !existing;
    if (createdNow) {
      // Onboarded as any new tenant (placement, database, role, sealed DSN), then its contents replaced.
      const placed = await onboardTenant(ctx, {
        orgId: target,
        name: manifest.name ?? target,
        ...(cluster === undefined ? {} : { cluster }),
      });
      await audit(ctx.control, {
        actor: ctx.actor,
        action: 'tenant.restore.created',
        orgId: target,
        details: { cluster: placed.cluster, backupOf: source },
      });
    }
    const swapLocked = (): Promise<RestoreResult> =>
      withOrgLock(ctx, target, async () => {
        const org = await getOrganization(ctx.control, target);
        if (!org || (org.status !== 'active' && org.status !== 'suspended')) {
          throw new AppError(
            'conflict',
            `organization ${target} is ${org?.status ?? 'gone'}; nothing was restored, run the command again`,
          );
        }
        if (org.schemaVersion < latest) await migrateTenant(ctx, target);
        const engine = await engineOf(ctx, org);
        const swapped = await swapContents(engine, target, loadable.dir, loadable.manifest, latest);
        await setSchemaVersion(ctx.control, target, latest);
        await ctx.onTenantChanged?.(target);
        const result: RestoreResult = {
          orgId: target,
          backupOf: source,
          from: input.from,
          mode,
          cluster: org.cluster,
          backupSchemaVersion: manifest.schemaVersion,
          schemaVersion: latest,
          takenAt: manifest.exportedAt ?? null,
          ...swapped,
        };
        await audit(ctx.control, {
          actor: ctx.actor,
          action: 'tenant.restored',
          orgId: target,
          details: {
            from: sanitizeText(input.from, 500),
            mode,
            backupOf: source,
            cluster: org.cluster,
            backupSchemaVersion: manifest.schemaVersion,
            takenAt: result.takenAt,
            rows: result.rows,
            freezeMs: result.freezeMs,
            devices: result.devices,
            devicesLost: result.devicesLost,
          },
        });
        return result;
      });
    try {
      return await swapLocked();
    } catch (err) {
      // The file's own fault, found only once the new tenant existed: the tenant made for it goes
      // again, so a refused restore leaves nothing behind. Anything else (a busy or unreachable
      // database) keeps it, and running the same command again finishes the restore.
      if (createdNow && err instanceof AppError && err.code === 'invalid_input') {
        await undoCreated(ctx, target, err.message);
      }
      throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Removes a tenant this restore created (database, role, DSN, org row); audited. */
async function undoCreated(ctx: TenantContext, orgId: string, reason: string): Promise<void> {
  await withOrgLock(ctx, orgId, async () => {
    const org = await getOrganization(ctx.control, orgId);
    if (!org) return;
    const engine = await engineOf(ctx, org);
    const database = tenantDatabaseName(orgId);
    await engine.revokeTenantAccess(database);
    await ctx.onTenantChanged?.(orgId);
    await engine.dropDatabase(database);
    await engine.dropTenantRole(database);
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

/**
 * A restore `--as` this org that created it and was interrupted before its contents were loaded:
 * running the command again finishes it rather than refusing the org as taken.
 */
async function unfinishedRestoreAs(ctx: TenantContext, orgId: string, source: string): Promise<boolean> {
  const [last] = await ctx.control.query<{ action: string; backup_of: string | null }>(
    `SELECT action, details->>'backupOf' AS backup_of FROM audit_logs
      WHERE org_id = $1 AND action IN ('tenant.restore.created', 'tenant.restored')
      ORDER BY id DESC LIMIT 1`,
    [orgId],
  );
  return last?.action === 'tenant.restore.created' && last.backup_of === source;
}

/** Restoring over a tenant needs `--replace`; restoring as a new one needs the id to be free. */
function checkIntent(
  existing: Organization | undefined,
  target: string,
  cluster: string | undefined,
  input: RestoreInput,
): 'replaced' | 'created' {
  if (!existing) {
    if (input.replace)
      throw new AppError('not_found', `organization ${target} not found: nothing to replace`);
    return 'created';
  }
  if (input.as !== undefined) {
    throw new AppError(
      'conflict',
      `organization ${target} already exists (status ${existing.status}); --as needs an org id that is not taken`,
    );
  }
  if (existing.status !== 'active' && existing.status !== 'suspended') {
    throw new AppError(
      'conflict',
      `organization ${target} is ${existing.status}; restore its backup as a new tenant with --as NEW_ORG`,
    );
  }
  if (!input.replace) {
    throw new AppError(
      'conflict',
      `organization ${target} exists: restoring replaces everything its database holds with the backup; confirm with --replace, or restore it as a new tenant with --as NEW_ORG`,
      { orgId: target, status: existing.status },
    );
  }
  if (cluster !== undefined && cluster !== existing.cluster) {
    throw new AppError(
      'conflict',
      `organization ${target} is on cluster ${existing.cluster}; a restore over it stays there (restore, then move it with modernpos tenant move)`,
    );
  }
  return 'replaced';
}

/** Loads an older-schema backup at its own version into a scratch database, migrates it and snapshots it again. */
async function upgradeInScratch(
  ctx: TenantContext,
  cluster: string | undefined,
  orgId: string,
  manifest: ExportManifestOnDisk,
  backupDir: string,
  work: string,
): Promise<{ dir: string; manifest: ExportManifestOnDisk }> {
  const engine = cluster === undefined ? ctx.engine : await ctx.clusters.engine(cluster);
  const scratch = `modernpos_restore_${orgId}`;
  await engine.dropDatabase(scratch);
  await engine.createDatabase(scratch);
  try {
    const db = engine.openDatabase(scratch);
    try {
      const target = postgresMigrationTarget(db, {});
      await migrate(target, ctx.tenantMigrations, { toVersion: manifest.schemaVersion });
      await db.transaction(async (tx) => {
        await requireSameTables(tx, manifest);
        await loadTables(tx, backupDir, manifest);
      });
      await migrate(target, ctx.tenantMigrations);
      const dir = join(work, 'upgraded');
      mkdirSync(dir);
      const tables = await db.transaction(async (tx) => {
        await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        const dumped = [];
        for (const table of await listTables(tx)) dumped.push(await dumpTable(tx, table, dir));
        return dumped;
      });
      return {
        dir,
        manifest: {
          ...manifest,
          schemaVersion: latestVersion(ctx.tenantMigrations),
          tables: tables.map((t) => ({ name: t.name, file: t.file, rows: t.rows })),
        },
      };
    } finally {
      await db.close();
    }
  } finally {
    await engine.dropDatabase(scratch).catch(() => {});
  }
}

/**
 * Before a new tenant is made for a backup at the latest schema, its tables are checked against the
 * template (kept at the latest schema), so a bad file never leaves a tenant behind. Under the template
 * lock: a template copy fails while anyone is connected to it.
 */
async function checkAgainstTemplate(ctx: TenantContext, manifest: ExportManifestOnDisk): Promise<void> {
  const { engine, templateDatabase } = ctx;
  await withTemplateLock(ctx, engine.cluster, async () => {
    if (!(await engine.databaseExists(templateDatabase))) return;
    const db = engine.openDatabase(templateDatabase, 1);
    try {
      await requireSameTables(db, manifest);
    } finally {
      await db.close();
    }
  });
}

/** The backup's tables are the database's, one for one (a file from another schema is refused). */
async function requireSameTables(tx: SqlQueryable, manifest: ExportManifestOnDisk): Promise<void> {
  const have = new Set(await listTables(tx));
  const named = new Set(manifest.tables.map((t) => t.name));
  const missing = [...have].filter((t) => !named.has(t) && t !== 'schema_migrations');
  const unknown = [...named].filter((t) => !have.has(t));
  if (missing.length > 0 || unknown.length > 0) {
    throw new AppError(
      'invalid_input',
      `the backup does not match tenant schema ${manifest.schemaVersion}: ${[
        missing.length > 0 ? `missing ${missing.join(', ')}` : '',
        unknown.length > 0 ? `unknown ${unknown.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
    );
  }
}

/**
 * Edges may have pulled catalog changes the restored change log no longer has, and hold a cursor
 * beyond its end. Every entity changed after the restored log's last cursor is appended again, with
 * cursors after the highest the tenant ever gave out: an edge at any cursor then pulls the restored row
 * (or a delete, for a row the backup does not have), and the cursor never goes back.
 */
async function reannounceCatalog(tx: SqlQueryable): Promise<number> {
  const [bounds] = await tx.query<{ restored: unknown; prior: unknown }>(
    `SELECT (SELECT coalesce(max(cursor), 0) FROM change_log) AS restored,
            (SELECT coalesce(max(cursor), 0) FROM restore_prior_changes) AS prior`,
  );
  const restored = Number(bounds?.restored ?? 0);
  const base = Math.max(restored, Number(bounds?.prior ?? 0));
  const added = await tx.query(
    `INSERT INTO change_log (cursor, entity, entity_id, op, changed_at)
     SELECT $2::int8 + row_number() OVER (ORDER BY entity, entity_id), entity, entity_id, 'upsert', now()
       FROM (SELECT DISTINCT entity, entity_id FROM restore_prior_changes WHERE cursor > $1::int8) changed
     RETURNING cursor`,
    [restored, base],
  );
  return added.length;
}

interface DeviceRow {
  id: string;
  name: string | null;
  last: unknown;
}

/**
 * The swap, in one transaction on the tenant's database: every table locked (the write freeze), the
 * devices' positions read, every table emptied and loaded from the backup, the positions compared.
 */
async function swapContents(
  engine: Engine,
  orgId: string,
  dir: string,
  manifest: ExportManifestOnDisk,
  latest: number,
): Promise<
  Pick<RestoreResult, 'tables' | 'rows' | 'freezeMs' | 'catalogReannounced' | 'devices' | 'devicesLost'>
> {
  const db = engine.openDatabase(tenantDatabaseName(orgId));
  try {
    // A deadlock against a transaction that locked our tables in another order rolls the whole swap
    // back: it is simply taken again, a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        return await swapOnce(db, orgId, dir, manifest, latest);
      } catch (err) {
        if ((err as { code?: unknown }).code !== '40P01' || attempt >= DEADLOCK_ATTEMPTS) throw err;
      }
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === '55P03' || code === '40P01') {
      throw new AppError(
        'database_unavailable',
        `the tables of ${orgId} stayed busy (${code === '55P03' ? `waited ${LOCK_TIMEOUT}` : 'deadlocks with other writers'}); nothing was restored, run the command again`,
      );
    }
    throw err;
  } finally {
    await db.close();
  }
}

const DEADLOCK_ATTEMPTS = 5;

async function swapOnce(
  db: SqlDatabase,
  orgId: string,
  dir: string,
  manifest: ExportManifestOnDisk,
  latest: number,
): Promise<
  Pick<RestoreResult, 'tables' | 'rows' | 'freezeMs' | 'catalogReannounced' | 'devices' | 'devicesLost'>
> {
  return await db.transaction(async (tx) => {
    const [version] = await tx.query<{ v: number | null }>(
      "SELECT max(version) AS v FROM schema_migrations WHERE component = 'tenant'",
    );
    if (Number(version?.v ?? 0) !== latest) {
      throw new AppError(
        'conflict',
        `the database of ${orgId} is at schema ${version?.v ?? 0}, not ${latest}; run modernpos tenant migrate ${orgId} first`,
      );
    }
    await requireSameTables(tx, manifest);
    // `devices` first: a sync batch locks its device's row before anything else, so it either holds
    // that lock (and this waits for it to commit) or waits behind this, never half-way between.
    const tables = (await listTables(tx))
      .filter((t) => t !== 'schema_migrations')
      .sort((a, b) => (a === 'devices' ? -1 : b === 'devices' ? 1 : a.localeCompare(b)));
    const list = tables.map(quoteIdent).join(', ');
    await tx.exec(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    const frozenAt = performance.now();
    await tx.exec(`LOCK TABLE ${list} IN ACCESS EXCLUSIVE MODE`);
    const before = await tx.query<DeviceRow>('SELECT id, name, last_applied_seq AS last FROM devices');
    await tx.exec(
      'CREATE TEMP TABLE restore_prior_changes ON COMMIT DROP AS SELECT cursor, entity, entity_id FROM change_log',
    );
    await tx.exec(`TRUNCATE ${list}`);
    const loaded = await loadTables(tx, dir, manifest);
    const catalogReannounced = await reannounceCatalog(tx);
    const after = await tx.query<DeviceRow>('SELECT id, name, last_applied_seq AS last FROM devices');
    const previous = new Map(before.map((d) => [d.id, d]));
    const restored = new Set(after.map((d) => d.id));
    const devices = after
      .map((d) => {
        const prior = previous.get(d.id);
        const restoredSeq = Number(d.last);
        const previousSeq = prior === undefined ? null : Number(prior.last);
        return {
          deviceId: d.id,
          name: d.name,
          restoredSeq,
          previousSeq,
          toResend: previousSeq === null ? 0 : Math.max(0, previousSeq - restoredSeq),
        };
      })
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
    const devicesLost = before
      .filter((d) => !restored.has(d.id))
      .map((d) => ({ deviceId: d.id, name: d.name, previousSeq: Number(d.last) }))
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId));
    return {
      ...loaded,
      freezeMs: Math.round(performance.now() - frozenAt),
      catalogReannounced,
      devices,
      devicesLost,
    };
  });
}
