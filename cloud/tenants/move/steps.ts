// The steps of a tenant move, per method, in order: the phase a resumed move starts after and the
// audit action (`tenant.move.<step>`) each one records.

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
    'verified',
    'replication_dropped',
  ],
  copy: ['started', 'database_created', 'schema_applied', 'frozen', 'copied', 'sequences_set', 'verified'],
};
