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
import { sanitizeText } from '../../src/domain/bounds.ts';
import { AppError } from '../../src/errors.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import { requireClusterName } from '../clusters/validate.ts';
import { audit, auditingRefusals } from '../control/audit.ts';
import { getOrganization, setSchemaVersion } from '../control/organizations.ts';
import { engineOf, type TenantContext, withOrgLock } from './context.ts';
import { migrateTenant } from './migrate.ts';
import { onboardTenant } from './onboard.ts';
import { checkAgainstTemplate, checkIntent, unfinishedRestoreAs } from './restore/checks.ts';
import type { DeviceRewind } from './restore/devices.ts';
import { upgradeInScratch } from './restore/scratch-upgrade.ts';
import { swapContents } from './restore/swap.ts';
import { undoCreated } from './restore/undo.ts';
import { readTenantExport } from './restore.ts';
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

const refusalAudited = <T>(
  ctx: TenantContext,
  orgId: string,
  input: RestoreInput,
  fn: () => Promise<T>,
): Promise<T> =>
  auditingRefusals(
    ctx,
    { action: 'tenant.restore.refused', orgId, details: { from: sanitizeText(String(input.from), 500) } },
    fn,
  );

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
