// `tenant backup`: a consistent snapshot of one tenant database (every table read in one
// REPEATABLE READ transaction, the export format of export.ts), written as a file that
// `tenant restore` loads back. The same on both engines and on every cluster; with no --out it goes
// into the backup directory, named by org and instant.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { auditingRefusals } from '../control/audit.ts';
import { engineOf, type TenantContext } from './context.ts';
import { exportTenant } from './export.ts';
import { requireLiveOrg } from './queries.ts';
import { requireOrgId } from './validate.ts';

export interface BackupResult {
  orgId: string;
  file: string;
  cluster: string;
  schemaVersion: number;
  tables: number;
  rows: number;
  takenAt: string;
  /** Each device's last applied seq in the snapshot: after a restore, edges push again from there. */
  devices: { deviceId: string; lastAppliedSeq: number }[];
}

/** The file a backup goes to without --out. */
export function defaultBackupFile(backupDir: string, orgId: string, at: Date): string {
  return join(backupDir, `${orgId}-${at.toISOString().replaceAll(':', '-')}.backup.tar.gz`);
}

export async function backupTenant(
  ctx: TenantContext,
  orgIdInput: string,
  out?: string | undefined,
): Promise<BackupResult> {
  const orgId = requireOrgId(orgIdInput);
  return auditingRefusals(ctx, { action: 'tenant.backup.refused', orgId }, () =>
    backupChecked(ctx, orgId, out),
  );
}

async function backupChecked(
  ctx: TenantContext,
  orgId: string,
  out: string | undefined,
): Promise<BackupResult> {
  const org = await requireLiveOrg(ctx, orgId, 'backed up');
  await engineOf(ctx, org); // an unknown or unusable cluster is refused before any file is made
  let file = out;
  if (file === undefined) {
    mkdirSync(ctx.backupDir, { recursive: true, mode: 0o700 });
    file = defaultBackupFile(ctx.backupDir, orgId, new Date());
  }
  const manifest = await exportTenant(ctx, orgId, file, { action: 'tenant.backed_up' });
  return {
    orgId,
    file: manifest.file,
    cluster: org.cluster,
    schemaVersion: manifest.schemaVersion,
    tables: manifest.tables.length,
    rows: manifest.tables.reduce((n, t) => n + t.rows, 0),
    takenAt: manifest.exportedAt,
    devices: manifest.devices,
  };
}
