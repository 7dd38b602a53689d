// `tenant backup` and `tenant restore` (cloud/tenants/backup.ts, restore-tenant.ts): flags in, text or --json out.
import type { ParsedArgs } from '../../src/cli/args.ts';
import { type CliIO, EXIT } from '../../src/cli/io.ts';
import { AppError } from '../../src/errors.ts';
import { backupTenant } from '../tenants/backup.ts';
import { type RestoreResult, restoreTenant } from '../tenants/restore-tenant.ts';
import { requireOrgId } from '../tenants/validate.ts';
import { openCliPlatform } from './open.ts';

type Command = (args: ParsedArgs, io: CliIO) => Promise<number>;

const RESTORE_USAGE =
  'usage: modernpos tenant restore ORG --from FILE [--replace | --as NEW_ORG] [--cluster NAME] [--json]';

async function onPlatform<T>(
  args: ParsedArgs,
  io: CliIO,
  fn: (p: Awaited<ReturnType<typeof openCliPlatform>>['platform']) => Promise<T>,
): Promise<T> {
  const opened = await openCliPlatform(args.flags, io, 'cli');
  try {
    return await fn(opened.platform);
  } finally {
    await opened.platform.close();
  }
}

function orgOf(args: ParsedArgs, usage: string): string {
  const org = args.positionals[2];
  if (org === undefined) throw new AppError('invalid_input', usage);
  return requireOrgId(org);
}

/** What an operator must know after a restore: which edges push again, and what cannot come back. */
export function restoreLines(r: RestoreResult): string[] {
  const lines = [
    `${r.mode === 'created' ? 'Restored as new tenant' : 'Restored'} ${r.orgId} on cluster ${r.cluster} from ${r.from}` +
      ` (backup of ${r.backupOf} taken ${r.takenAt ?? 'at an unknown time'}, schema ${r.backupSchemaVersion}` +
      `${r.backupSchemaVersion === r.schemaVersion ? '' : ` migrated to ${r.schemaVersion}`}): ${r.tables} tables, ${r.rows} rows; writes waited ${r.freezeMs} ms.`,
  ];
  const behind = r.devices.filter((d) => d.toResend > 0);
  for (const d of behind) {
    lines.push(
      `  device ${d.deviceId} (${d.name ?? 'unnamed'}): pushes again seqs ${d.restoredSeq + 1}–${d.previousSeq} at its next sync`,
    );
  }
  for (const d of r.devicesLost) {
    lines.push(
      `  device ${d.deviceId} (${d.name ?? 'unnamed'}) was registered after the backup: register it again (modernpos device register); its edge keeps its outbox`,
    );
  }
  if (r.mode === 'replaced' && behind.length > 0) {
    lines.push(
      'An edge that has pruned some of those seqs (acknowledged longer ago than its outbox retention) refuses to sync with seq_gap and says so: see docs/backup-restore.md.',
    );
  }
  return lines;
}

export const backupCommands: Record<string, Command> = {
  async backup(args, io) {
    const orgId = orgOf(args, 'usage: modernpos tenant backup ORG [--out FILE] [--json]');
    const r = await onPlatform(args, io, (p) => backupTenant(p.tenants, orgId, args.flags.out));
    if (args.flags.json) io.out(JSON.stringify(r, null, 2));
    else
      io.out(
        `Backed up ${orgId} (cluster ${r.cluster}, schema ${r.schemaVersion}): ${r.tables} tables, ${r.rows} rows → ${r.file}`,
      );
    return EXIT.ok;
  },

  async restore(args, io) {
    const orgId = orgOf(args, RESTORE_USAGE);
    const from = args.flags.from;
    if (from === undefined) throw new AppError('invalid_input', RESTORE_USAGE);
    const r = await onPlatform(args, io, (p) =>
      restoreTenant(p.tenants, {
        orgId,
        from,
        replace: args.flags.replace === true,
        as: args.flags.as,
        cluster: args.flags.cluster,
      }),
    );
    if (args.flags.json) io.out(JSON.stringify(r, null, 2));
    else for (const line of restoreLines(r)) io.out(line);
    return EXIT.ok;
  },
};
