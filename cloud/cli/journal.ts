// `modernpos journal verify ORG [--branch B] [--terminal T] [--json]` (docs/journal.md#journal-verify):
// walks each terminal's hash chain the tenant's database holds against its documents as stored now.
// Exit 0 when every chain is intact, 1 when one is broken (its first broken link named); the run is
// recorded in the tenant's audit log like the other operator commands that touch a tenant.
import type { ParsedArgs } from '../../src/cli/args.ts';
import { type CliIO, EXIT } from '../../src/cli/io.ts';
import type { SqlDatabase } from '../../src/db/sql.ts';
import { codeSchema } from '../../src/domain/payloads.ts';
import { AppError } from '../../src/errors.ts';
import type { ChainVerdict } from '../../src/protocol/journal.ts';
import { auditTenant } from '../catalog/change-log.ts';
import { type ChainFilter, verifyStoredChains } from '../journal/stored-chains.ts';
import { requireOrgId } from '../tenants/validate.ts';
import { onTenant } from './open.ts';

const USAGE = 'usage: modernpos journal verify ORG [--branch B] [--terminal T] [--json]';

function code(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  if (!codeSchema.safeParse(value).success) {
    throw new AppError(
      'invalid_input',
      `--${flag} must be a code: 1–16 capital letters, digits or underscores`,
    );
  }
  return value;
}

/**
 * Verifies the selected chains in one snapshot (REPEATABLE READ: a push landing meanwhile is either
 * wholly seen or not at all) and audits the run with its outcome.
 */
export async function verifyTenantJournal(
  db: SqlDatabase,
  orgId: string,
  filter: ChainFilter,
  actor: string,
  now: () => Date = () => new Date(),
): Promise<ChainVerdict[]> {
  const verdicts = await db.transaction(async (tx) => {
    await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return verifyStoredChains(tx, orgId, filter);
  });
  const broken = verdicts.filter((v) => !v.intact);
  await db.transaction((tx) =>
    auditTenant(
      tx,
      {
        actor,
        action: 'journal.verified',
        entity: 'journal',
        entityId: `${filter.branch ?? '*'}/${filter.terminal ?? '*'}`,
        details: {
          chains: verdicts.length,
          broken: broken.map((v) => ({ storeId: v.storeId, terminal: v.terminal, ...v.firstBreak })),
        },
      },
      now().toISOString(),
    ),
  );
  return verdicts;
}

/** One line per chain, then what the run found overall. */
export function verdictLines(orgId: string, verdicts: readonly ChainVerdict[]): string[] {
  if (verdicts.length === 0) return [`${orgId}: no journal chains match.`];
  const lines = verdicts.map((v) => {
    const chain = `store ${v.storeId} branch ${v.branch} terminal ${v.terminal}`;
    const notes = [
      v.preJournal > 0 ? `${v.preJournal} pre-journal document(s)` : '',
      v.exceptions.length > 0 ? `${v.exceptions.length} exception(s)` : '',
    ].filter(Boolean);
    const extra = notes.length > 0 ? `; ${notes.join(', ')}` : '';
    const b = v.firstBreak;
    return b
      ? `BROKEN  ${chain}: seq ${b.seq} ${b.reason}${b.documentId ? ` (document ${b.documentId})` : ''}; ${v.links} link(s) checked${extra}`
      : `intact  ${chain}: ${v.links} link(s)${extra}`;
  });
  const broken = verdicts.filter((v) => !v.intact).length;
  const pre = verdicts.reduce((n, v) => n + v.preJournal, 0);
  const exceptions = verdicts.reduce((n, v) => n + v.exceptions.length, 0);
  for (const v of verdicts) {
    for (const e of v.exceptions) {
      lines.push(
        `  exception: store ${v.storeId} terminal ${v.terminal} seq ${e.seq} (document ${e.documentId}): ${e.reason}`,
      );
    }
  }
  lines.push(
    `${orgId}: ${verdicts.length} chain(s), ${broken} broken; ${pre} pre-journal document(s), ${exceptions} exception(s).`,
  );
  return lines;
}

export async function runJournalCommand(args: ParsedArgs, io: CliIO): Promise<number> {
  const [, sub, org, extra] = args.positionals;
  if (sub !== 'verify' || org === undefined || extra !== undefined)
    throw new AppError('invalid_input', USAGE);
  const orgId = requireOrgId(org);
  const filter = {
    branch: code(args.flags.branch, 'branch'),
    terminal: code(args.flags.terminal, 'terminal'),
  };
  const verdicts = await onTenant(args.flags, io, orgId, (db) =>
    verifyTenantJournal(db, orgId, filter, 'operator (cli)'),
  );
  if (args.flags.json) io.out(JSON.stringify(verdicts, null, 2));
  else for (const line of verdictLines(orgId, verdicts)) io.out(line);
  return verdicts.every((v) => v.intact) ? EXIT.ok : EXIT.failure;
}
