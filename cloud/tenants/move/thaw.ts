// A freeze that did not end in a switch, lifted: the tenant serves from the source again and the
// move goes back to a step before the freeze.

import type { ClosableSqlDatabase } from '../../../src/db/sql.ts';
import { audit } from '../../control/audit.ts';
import { setMoveFrozen, setMovePhase, type TenantMove } from '../../control/tenant-moves.ts';
import type { TenantContext } from '../context.ts';
import { unfenceSource } from './freeze.ts';
import { tenantRoutingChanged } from './signals.ts';

/**
 * Lifts a freeze that did not end in a switch: the source's role logs in again, the resolver hands
 * out leases again, and the move goes back to the last step before the freeze that is still true
 * (replication already dropped means starting the copy again from an emptied target).
 */
export async function thaw(
  ctx: TenantContext,
  move: TenantMove,
  sourceDb: ClosableSqlDatabase,
  role: string,
  phase: string,
  steps: readonly string[],
): Promise<void> {
  await unfenceSource(sourceDb, role).catch(() => {});
  await setMoveFrozen(ctx.control, move.id, false);
  const frozenAt = steps.indexOf('frozen');
  if (steps.indexOf(phase) >= frozenAt) {
    const back =
      move.method === 'logical'
        ? steps.indexOf(phase) >= steps.indexOf('replication_dropped')
          ? 'database_created'
          : 'caught_up'
        : 'schema_applied';
    await setMovePhase(ctx.control, move.id, back);
  }
  await tenantRoutingChanged(ctx, move.orgId);
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.move.thawed',
    orgId: move.orgId,
    details: { phase, note: 'the tenant serves from the source again' },
  });
}
