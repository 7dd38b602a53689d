// Results for edges that predate `held` (protocol 3): a held mutation is reported as rejected.
import type { MutationResult } from '../../src/protocol/messages.ts';

/** Edges before protocol 3 know no `held`: they are told `rejected` (with the reason code) instead. */
export const heldAsRejected = (results: MutationResult[], protocolVersion: number): MutationResult[] =>
  protocolVersion >= 3
    ? results
    : results.map((r) => (r.status === 'held' ? { ...r, status: 'rejected' as const } : r));
