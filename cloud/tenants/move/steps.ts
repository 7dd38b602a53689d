// The steps of a tenant move, per method, in order: the phase a resumed move starts after and the
// audit action (`tenant.move.<step>`) each one records. An online move switches between
// `replication_dropped` and `verified` (its state becomes `switched`); `verify_failed` stands in for
// `verified` when the checksums after the switch differ. The offline copy verifies before it switches.

import type { MoveMethod } from '../../control/tenant-moves.ts';

/** The steps of each method, in order; `tenant_moves.phase` is the last one finished. */
export const MOVE_STEPS: Record<MoveMethod, readonly string[]> = {
  logical: [
    'started',
    'database_created',
    'schema_applied',
    'published',
    'subscribed',
    'caught_up',
    'frozen',
    'synced',
    'sequences_set',
    'counted',
    'replication_dropped',
    'verified',
  ],
  copy: ['started', 'database_created', 'schema_applied', 'frozen', 'copied', 'sequences_set', 'verified'],
};
