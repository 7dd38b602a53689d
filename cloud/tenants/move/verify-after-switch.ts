// The verification of an online move after its switch: the fenced source's checksums beside the
// target's in the snapshot kept from the freeze. A difference (or checksums that cannot be taken)
// leaves the tenant on the target — it has written there since the switch, so switching back would
// lose those writes — records `tenant.move.verify_failed` with the tables, and keeps the source for
// comparison (tenant_moves.error = 'verify_failed': the grace-period job leaves it). A run killed
// after the switch, run again, has no snapshot any more: it says the checksums were skipped.

import type { ClosableSqlDatabase } from '../../../src/db/sql.ts';
import { sanitizeText } from '../../../src/domain/bounds.ts';
import { audit } from '../../control/audit.ts';
import {
  markVerifyFailed,
  setMovePhase,
  type TenantMove,
  VERIFY_FAILED,
} from '../../control/tenant-moves.ts';
import type { TenantContext } from '../context.ts';
import { MATCHED, type MoveVerification } from './result.ts';
import type { PinnedSnapshot } from './snapshot.ts';
import type { TableInfo, TableSum } from './tables.ts';
import { checksumsAfterSwitch } from './verify.ts';

type Step = (phase: string, details?: Record<string, unknown>) => Promise<void>;

const bySide = (sums: readonly TableSum[], table: string) => {
  const s = sums.find((x) => x.table === table);
  return s ? { rows: s.rows, checksum: s.checksum } : null;
};

export async function verifyAfterSwitch(
  ctx: TenantContext,
  move: TenantMove,
  sourceDb: ClosableSqlDatabase,
  snapshot: PinnedSnapshot,
  tables: readonly TableInfo[],
  onTarget: <T>(fn: () => Promise<T>) => Promise<T>,
  step: Step,
): Promise<{ sums: TableSum[]; verification: MoveVerification }> {
  let failed: { details: Record<string, unknown>; verification: MoveVerification; sums: TableSum[] };
  try {
    const c = await checksumsAfterSwitch(sourceDb, snapshot, tables, onTarget);
    if (c.mismatched.length === 0) {
      await step('verified', {
        tables: Object.fromEntries(c.source.map((s) => [s.table, { rows: s.rows, checksum: s.checksum }])),
        after: 'switch',
      });
      return { sums: c.source, verification: MATCHED };
    }
    failed = {
      sums: c.source,
      details: {
        mismatched: c.mismatched,
        tables: Object.fromEntries(
          c.mismatched.map((t) => [t, { source: bySide(c.source, t), target: bySide(c.target, t) }]),
        ),
      },
      verification: { checksums: 'mismatched', mismatched: c.mismatched, note: null, sourceKept: true },
    };
  } catch (err) {
    const note = sanitizeText(err instanceof Error ? err.message : String(err), 300);
    failed = {
      sums: [],
      details: { error: note },
      verification: { checksums: 'unverified', mismatched: [], note, sourceKept: true },
    };
  }
  // The source is marked kept before the step is recorded: a run killed between them keeps it too.
  await markVerifyFailed(ctx.control, move.id);
  await step('verify_failed', { ...failed.details, moveId: move.id, sourceKeptOn: move.sourceCluster });
  return { sums: failed.sums, verification: failed.verification };
}

const SKIPPED_NOTE =
  'checksum skipped: resumed after the switch (the snapshot of the target at the switch is gone and the tenant has written there since); the row counts compared inside the freeze (tenant.move.counted) stand';

/** The verification of a switched move run again: what the earlier run recorded, or skipped. */
export async function verificationOnResume(ctx: TenantContext, move: TenantMove): Promise<MoveVerification> {
  if (move.phase === 'verified') return MATCHED;
  if (move.phase === 'verify_failed' || move.error === VERIFY_FAILED) {
    const rows = await ctx.control.query<{ mismatched: string[] | null; error: string | null }>(
      `SELECT ARRAY(SELECT jsonb_array_elements_text(coalesce(details->'mismatched', '[]'::jsonb))) AS mismatched,
              details->>'error' AS error
         FROM audit_logs
        WHERE org_id = $1 AND action = 'tenant.move.verify_failed' AND details->>'moveId' = $2
        ORDER BY id DESC LIMIT 1`,
      [move.orgId, String(move.id)],
    );
    const mismatched = rows[0]?.mismatched ?? [];
    return mismatched.length > 0
      ? { checksums: 'mismatched', mismatched, note: null, sourceKept: true }
      : { checksums: 'unverified', mismatched: [], note: rows[0]?.error ?? null, sourceKept: true };
  }
  await setMovePhase(ctx.control, move.id, 'verified');
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.move.verified',
    orgId: move.orgId,
    details: { checksums: 'skipped', note: SKIPPED_NOTE },
  });
  return { checksums: 'skipped', mismatched: [], note: SKIPPED_NOTE, sourceKept: false };
}
