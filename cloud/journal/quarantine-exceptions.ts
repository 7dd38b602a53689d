// Why a linked document that is not stored as the till recorded it is no break
// (docs/journal.md#verification): its mutation went through the sync quarantine, and there
// it was discarded by HQ (the discard audited: who, when, why), or it is still held (a refund
// awaiting its original, a mutation awaiting a fix), or HQ replayed it with a corrected payload (the
// replay audited as corrected) — in the last two cases with the till's payload, kept in the
// quarantine, hashing to the link: the document the till recorded is kept there.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { parsedJournalDocument } from '../../src/journal/canonical-document.ts';
import { linkHash, type StoredLink } from '../../src/journal/chain.ts';
import type { JournalKind } from '../../src/protocol/journal.ts';
import { documentKey } from './stored-documents.ts';

/** A link whose document is not stored, or is stored otherwise than it hashed. */
export interface MissingLink {
  seq: number;
  kind: JournalKind;
  documentId: string;
  prevHash: string;
  hash: string;
}

interface QuarantineRow {
  mutation_id: string;
  kind: string;
  payload: string;
  reason_code: string;
  received_at: string;
  resolution: string | null;
  actor: string | null;
  at: string | null;
}

const parsedJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The ids a quarantined mutation may have been linked under: its own, and a close's shift. */
function linkedIds(r: QuarantineRow): string[] {
  if (r.kind !== 'shift_close') return [r.mutation_id];
  const shiftId = (parsedJson(r.payload) as { shiftId?: unknown } | null | undefined)?.shiftId;
  return typeof shiftId === 'string' ? [shiftId, r.mutation_id] : [r.mutation_id];
}

/** Whether the payload the till pushed, as the quarantine keeps it, hashes to `link`. */
function heldMatches(r: QuarantineRow, link: MissingLink): boolean {
  const doc = parsedJournalDocument(r.kind, parsedJson(r.payload));
  if (!doc || doc.kind !== link.kind) return false;
  try {
    return linkHash(link.seq, link.prevHash, doc) === link.hash;
  } catch {
    return false;
  }
}

/**
 * The exception of each of `missing` (links of the chain of edge database `storeId` whose
 * documents are not stored) that has one, by `documentKey`. A quarantine row marked discarded
 * without HQ's audited discard, or held with a payload that does not hash to the link, has none.
 */
export async function quarantineExceptions(
  db: SqlQueryable,
  storeId: string,
  missing: readonly MissingLink[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (missing.length === 0) return out;
  const rows = await db.query<QuarantineRow>(
    `SELECT q.mutation_id, q.kind, q.payload, q.reason_code, q.received_at, q.resolution, a.actor, a.at
       FROM sync_quarantine q
       JOIN devices d ON d.id = q.device_id
       LEFT JOIN audit_logs a ON a.entity = 'sync_quarantine' AND a.entity_id = q.id
                             AND a.action = 'sync_quarantine.discarded'
      WHERE d.store_id = $1 AND (q.resolved_at IS NULL OR q.resolution LIKE 'discarded:%')
        AND (q.mutation_id = ANY($2::text[]) OR q.kind = 'shift_close')`,
    [storeId, missing.map((l) => l.documentId)],
  );
  const byKey = new Map(missing.map((l) => [documentKey(l.kind, l.documentId), l]));
  for (const r of rows) {
    for (const id of linkedIds(r)) {
      const key = documentKey(r.kind as JournalKind, id);
      const link = byKey.get(key);
      if (!link) continue;
      if (r.resolution !== null && r.actor !== null) {
        out.set(key, `discarded from the quarantine by ${r.actor} at ${r.at} (${r.resolution})`);
      } else if (r.resolution === null && heldMatches(r, link)) {
        out.set(key, `held in the quarantine since ${r.received_at} (${r.reason_code}); not stored yet`);
      }
    }
  }
  return out;
}

/** A corrected replay of the quarantine, with what the correction hashes to under its link. */
export interface CorrectedReplay extends QuarantineRow {
  correctedHash: string;
}

/**
 * The documents of edge database `storeId` HQ replayed from the quarantine with a corrected payload
 * and that replay stored (`sync_quarantine.replayed` audited with `corrected`, status `applied` and
 * the correction's hash), each with the till's payload as the quarantine keeps it. Read once per
 * chain verified (corrections are few), then matched to each batch of links by `withCorrections`.
 */
export async function storeCorrections(db: SqlQueryable, storeId: string): Promise<CorrectedReplay[]> {
  const rows = await db.query<QuarantineRow & { details: string | null }>(
    `SELECT q.mutation_id, q.kind, q.payload, q.reason_code, q.received_at, q.resolution, a.actor, a.at,
            a.details
       FROM sync_quarantine q
       JOIN devices d ON d.id = q.device_id
       JOIN audit_logs a ON a.entity = 'sync_quarantine' AND a.entity_id = q.id
                        AND a.action = 'sync_quarantine.replayed'
      WHERE d.store_id = $1 AND q.resolution = 'replayed corrected (applied)'`,
    [storeId],
  );
  return rows.flatMap(({ details: text, ...r }) => {
    const details = parsedJson(text ?? '') as
      | { corrected?: unknown; status?: unknown; correctedHash?: unknown }
      | undefined;
    const { correctedHash } = details ?? {};
    return details?.corrected === true && details.status === 'applied' && typeof correctedHash === 'string'
      ? [{ ...r, correctedHash }]
      : [];
  });
}

/**
 * `links` with each stored document HQ corrected (one of `corrections` whose till's payload hashes to
 * its link) marked as that exception, with the correction's hash: the walk takes the stored document
 * as the exception only while it hashes to that.
 */
export function withCorrections<L extends StoredLink>(
  links: readonly L[],
  corrections: readonly CorrectedReplay[],
): L[] {
  if (corrections.length === 0) return [...links];
  const byKey = new Map(
    links.filter((l) => l.document !== undefined).map((l) => [documentKey(l.kind, l.documentId), l]),
  );
  const marked = new Map<L, L>();
  for (const r of corrections) {
    for (const id of linkedIds(r)) {
      const link = byKey.get(documentKey(r.kind as JournalKind, id));
      if (link && heldMatches(r, link)) {
        marked.set(link, {
          ...link,
          exception: `corrected from the quarantine by ${r.actor} at ${r.at}: the document stored is HQ's correction; the till's, kept in the quarantine, hashes to the link`,
          correctedHash: r.correctedHash,
        });
      }
    }
  }
  return links.map((l) => marked.get(l) ?? l);
}
