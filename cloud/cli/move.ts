// `modernpos tenant move ORG --to CLUSTER [--json]`, `tenant move ORG --abort` and `--release-source`. A move that
// switched but whose checksums then differ fails with `operation_failed` (exit 1; moveTenant throws)
// and keeps its source until `tenant move ORG --release-source`.
import type { ParsedArgs } from '../../src/cli/args.ts';
import { type CliIO, EXIT } from '../../src/cli/io.ts';
import { AppError } from '../../src/errors.ts';
import { abortMove } from '../tenants/move/abort.ts';
import { moveTenant } from '../tenants/move/move.ts';
import { releaseKeptSource } from '../tenants/move/release-source.ts';
import { requireOrgId } from '../tenants/validate.ts';
import { openCliPlatform } from './open.ts';

const USAGE =
  'usage: modernpos tenant move ORG --to CLUSTER [--json] | modernpos tenant move ORG --abort | modernpos tenant move ORG --release-source';

export async function runMoveCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const org = args.positionals[2];
  if (org === undefined) throw new AppError('invalid_input', USAGE);
  const orgId = requireOrgId(org);
  const abort = args.flags.abort === true;
  const release = args.flags['release-source'] === true;
  const to = args.flags.to;
  const modes = [abort, release, to !== undefined].filter(Boolean).length;
  if (modes !== 1 || (to !== undefined && typeof to !== 'string')) {
    throw new AppError('invalid_input', USAGE);
  }
  const { platform } = await openCliPlatform(args.flags, io, 'cli');
  try {
    if (release) {
      const r = await releaseKeptSource(platform.tenants, orgId);
      if (args.flags.json) io.out(JSON.stringify(r, null, 2));
      else {
        io.out(
          `Released the source of ${orgId} kept on ${r.cluster}: the grace-period job drops it on its next pass.`,
        );
      }
      return EXIT.ok;
    }
    if (abort) {
      const r = await abortMove(platform.tenants, orgId);
      if (args.flags.json) io.out(JSON.stringify(r, null, 2));
      else {
        io.out(`Aborted the move of ${orgId} to ${r.to}: it stays on ${r.from}.`);
        if (r.targetLeftover) {
          io.err(
            `modernpos: cluster ${r.to} did not answer; its copy of the database is dropped by the next move there`,
          );
        }
      }
      return EXIT.ok;
    }
    const r = await moveTenant(platform.tenants, { orgId, to: String(to) });
    if (args.flags.json) io.out(JSON.stringify(r, null, 2));
    else if (r.alreadyMoved) {
      io.out(`${orgId} was already moved from ${r.from} to ${r.to}.`);
      if (r.verification.checksums === 'skipped')
        io.out(`Not every table was checksummed: ${r.verification.note}.`);
    } else {
      const rows = r.tables.reduce((n, t) => n + t.rows, 0);
      io.out(
        `Moved ${orgId} from ${r.from} to ${r.to} (${r.method === 'logical' ? 'logical replication' : 'offline copy'}${r.resumed ? ', resumed' : ''}): ${r.tables.length} tables, ${rows} rows verified.`,
      );
      if (r.fallbackReason) io.out(`Copied offline because ${r.fallbackReason}.`);
      io.out(`Writes were frozen for ${r.freezeMs ?? 0} ms.`);
      if (r.verification.checksums === 'skipped')
        io.out(`Not every table was checksummed: ${r.verification.note}.`);
      io.out(
        `The source database stays on ${r.from} until the grace period ends (MODERNPOS_MOVE_GRACE_HOURS).`,
      );
    }
    return EXIT.ok;
  } finally {
    await platform.close();
  }
}
