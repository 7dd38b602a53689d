// What became of a device's quarantined mutations (protocol 4): the edge names the seqs it still
// lists as rejected or held, and the quarantine answers where each stands now: replayed or released
// (`applied`), discarded, or still rejected or held with its current reason code.

import type { SqlQueryable } from '../../src/db/sql.ts';
import type { Outcome } from '../../src/protocol/messages.ts';
import type { RejectionCode } from '../../src/protocol/rejections.ts';

interface Row {
  seq: unknown;
  mutation_id: string;
  reason_code: RejectionCode;
  resolution: string | null;
}

/** HQ's discards are resolved `discarded: <reason>` (quarantine.ts); every other resolution applied it. */
const DISCARDED = /^discarded\b/;

function outcomeOf(r: Row): Outcome {
  const base = { seq: Number(r.seq), id: r.mutation_id };
  if (r.resolution === null) {
    return r.reason_code === 'awaiting_original'
      ? { ...base, status: 'held', code: r.reason_code }
      : { ...base, status: 'rejected', code: r.reason_code };
  }
  if (DISCARDED.test(r.resolution)) return { ...base, status: 'discarded', code: r.reason_code };
  // Replayed (applied, or found already there) or a held refund released (resend.ts RELEASED).
  return { ...base, status: 'applied' };
}

/** The outcomes of `seqs` (ascending) of `deviceId` that the quarantine holds, in seq order. */
export async function readOutcomes(
  db: SqlQueryable,
  deviceId: string,
  seqs: readonly number[],
): Promise<Outcome[]> {
  if (seqs.length === 0) return [];
  const rows = await db.query<Row>(
    `SELECT seq, mutation_id, reason_code, resolution FROM sync_quarantine
      WHERE device_id = $1 AND seq = ANY($2::bigint[]) ORDER BY seq`,
    [deviceId, seqs],
  );
  return rows.map(outcomeOf);
}
