// Answering mutations at or below the device's last applied seq. A resend is `duplicate` only when
// the document stored under that seq has the same kind and id, `rejected` or `held` when that seq is
// in the quarantine under the same id, and `seq_conflict` otherwise: an edge database reusing
// numbers (restored, cloned, or one that lost its last commits) must never have a new document taken
// for a duplicate.

import type { SqlQueryable } from '../../src/db/sql.ts';
import type { MutationResult } from '../../src/protocol/messages.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import type { RejectionCode } from '../../src/protocol/rejections.ts';
import { sameEdgeDevices, storedDocuments } from './stored-documents.ts';

export interface SeqConflict {
  ok: false;
  code: 'seq_conflict';
  message: string;
  seq: number;
}

/** How a held refund is resolved when its original arrives. */
export const RELEASED = 'applied when its original arrived';

interface QuarantineRow {
  seq: unknown;
  mutation_id: string;
  reason_code: RejectionCode;
  reason: string;
  resolution: string | null;
}

interface CloseRow {
  id: string;
  device_id: string | null;
  closed: boolean;
  close_seq: unknown;
  close_mutation_id: string | null;
}

const shiftIdOf = (m: Mutation): string | undefined => {
  const id = (m.payload as { shiftId?: unknown } | null)?.shiftId;
  return typeof id === 'string' ? id : undefined;
};

export async function resendResults(
  tx: SqlQueryable,
  deviceId: string,
  resent: readonly Mutation[],
): Promise<Map<number, MutationResult> | SeqConflict> {
  const results = new Map<number, MutationResult>();
  if (resent.length === 0) return results;
  const quarantined = new Map(
    (
      await tx.query<QuarantineRow>(
        'SELECT seq, mutation_id, reason_code, reason, resolution FROM sync_quarantine WHERE device_id = $1 AND seq = ANY($2::int8[])',
        [deviceId, resent.map((m) => m.seq)],
      )
    ).map((q) => [Number(q.seq), q]),
  );
  const sameEdge = await sameEdgeDevices(tx, deviceId);
  const stored = await storedDocuments(
    tx,
    resent.filter((m) => m.kind !== 'shift_close').map((m) => m.id),
  );
  const closeIds = resent.flatMap((m) => (m.kind === 'shift_close' ? (shiftIdOf(m) ?? []) : []));
  const closes = new Map(
    closeIds.length === 0
      ? []
      : (
          await tx.query<CloseRow>(
            'SELECT id, device_id, closed_at IS NOT NULL AS closed, close_seq, close_mutation_id FROM shifts WHERE id = ANY($1::text[])',
            [closeIds],
          )
        ).map((r) => [r.id, r]),
  );
  /** The document under this seq is this very mutation's (rows stored before seqs were kept match by id). */
  const storedUnder = (m: Mutation): boolean => {
    if (m.kind === 'shift_close') {
      const close = closes.get(shiftIdOf(m) ?? '');
      if (!close || close.device_id === null || !sameEdge.has(close.device_id) || !close.closed) return false;
      return close.close_seq === null
        ? close.close_mutation_id === null
        : Number(close.close_seq) === m.seq && close.close_mutation_id === m.id;
    }
    const doc = stored.get(m.id);
    return (
      doc !== undefined &&
      doc.kind === m.kind &&
      doc.deviceId !== null &&
      sameEdge.has(doc.deviceId) &&
      (doc.seq ?? m.seq) === m.seq
    );
  };
  for (const m of resent) {
    const q = quarantined.get(m.seq);
    const result = q
      ? q.mutation_id === m.id
        ? quarantinedResult(m, q)
        : undefined
      : storedUnder(m)
        ? ({ seq: m.seq, id: m.id, status: 'duplicate' } as const)
        : undefined;
    if (!result) {
      return {
        ok: false,
        code: 'seq_conflict',
        message: `seq ${m.seq} was applied to another document than ${m.kind} ${m.id}: this edge database reuses sequence numbers; register a new device for it`,
        seq: m.seq,
      };
    }
    results.set(m.seq, result);
  }
  return results;
}

/** A quarantined seq: held or rejected while unresolved; `duplicate` once applied (released, or replayed by HQ). */
function quarantinedResult(m: Mutation, q: QuarantineRow): MutationResult {
  const applied =
    q.resolution === RELEASED || /^replayed( corrected)? \((applied|duplicate)\)$/.test(q.resolution ?? '');
  if (applied) return { seq: m.seq, id: m.id, status: 'duplicate' };
  const status = q.reason_code === 'awaiting_original' && q.resolution === null ? 'held' : 'rejected';
  return { seq: m.seq, id: m.id, status, code: q.reason_code, message: q.reason };
}
