// What the tenant already holds under a document id, whatever its table (a cashier event is an
// audit_logs row; HQ's own audit rows have no device, so a pushed id meeting one is a conflict): a pushed document is a
// duplicate only when the same device stored the same kind under that id; any other holder makes it
// an `id_conflict`, so one till can never have its sale taken for another till's.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { Rejection, ValidMutation } from './validate.ts';
import type { Report } from './write-documents.ts';

export type DocumentKind =
  | 'sale'
  | 'refund'
  | 'shift_open'
  | 'cash_movement'
  | 'cashier_event'
  | 'stock_receipt'
  | 'stock_adjustment'
  | 'stock_count'
  | 'stock_transfer';

export interface StoredDocument {
  kind: DocumentKind;
  deviceId: string | null;
  /** The device seq that carried it; null for documents stored before the cloud kept seqs. */
  seq: number | null;
}

/** Every stored document among `ids`, by id (primary-key lookups in each document table). */
export async function storedDocuments(
  tx: SqlQueryable,
  ids: readonly string[],
): Promise<Map<string, StoredDocument>> {
  if (ids.length === 0) return new Map();
  const rows = await tx.query<{ id: string; kind: DocumentKind; device_id: string | null; seq: unknown }>(
    `SELECT id, kind, device_id, device_seq AS seq FROM sales WHERE id = ANY($1::text[])
     UNION ALL
     SELECT id, 'shift_open', device_id, open_seq FROM shifts WHERE id = ANY($1::text[])
     UNION ALL
     SELECT c.id, 'cash_movement', coalesce(c.device_id, s.device_id), c.device_seq
       FROM cash_movements c JOIN shifts s ON s.id = c.shift_id WHERE c.id = ANY($1::text[])
     UNION ALL
     SELECT id, 'cashier_event', device_id, device_seq FROM audit_logs WHERE id = ANY($1::text[])
     UNION ALL
     SELECT id, kind, device_id, device_seq FROM stock_documents WHERE id = ANY($1::text[])`,
    [ids],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      { kind: r.kind, deviceId: r.device_id, seq: r.seq === null ? null : Number(r.seq) },
    ]),
  );
}

/**
 * The devices whose documents count as the pushing device's own: itself, and any other device bound
 * to the same edge database (a till re-registered after `seq_conflict` pushes its whole outbox
 * again, and what the cloud already has must come back `duplicate`).
 */
export async function sameEdgeDevices(tx: SqlQueryable, deviceId: string): Promise<ReadonlySet<string>> {
  const rows = await tx.query<{ id: string }>(
    `SELECT id FROM devices WHERE id = $1
        OR (store_id IS NOT NULL AND store_id = (SELECT store_id FROM devices WHERE id = $1))`,
    [deviceId],
  );
  return new Set([deviceId, ...rows.map((r) => r.id)]);
}

/**
 * What a fresh mutation meets under its id: nothing (store it), its own document under the same seq
 * from this edge (`duplicate`, no second effect), or anything else (`id_conflict`, quarantined): a
 * document of another device or kind, or the same one under another seq, which a resend could then
 * never match.
 */
export function idVerdict(
  m: { kind: DocumentKind; seq: number },
  id: string,
  sameEdge: ReadonlySet<string>,
  stored: StoredDocument | undefined,
): 'new' | 'duplicate' | Rejection {
  if (!stored) return 'new';
  const mine = stored.deviceId !== null && sameEdge.has(stored.deviceId);
  if (stored.kind === m.kind && mine && (stored.seq === null || stored.seq === m.seq)) return 'duplicate';
  const holder = mine ? 'this device' : 'another device';
  const under = mine && stored.kind === m.kind ? ` under seq ${stored.seq}` : '';
  return {
    code: 'id_conflict',
    reason: `id ${id} already names a ${stored.kind.replace('_', ' ')} of ${holder}${under}`,
  };
}

/** What a batch meets under its document ids, looked up once, and whose documents count as its own. */
export interface KnownIds {
  sameEdge: ReadonlySet<string>;
  stored: ReadonlyMap<string, StoredDocument>;
}

export async function knownIds(
  tx: SqlQueryable,
  deviceId: string,
  ids: readonly string[],
): Promise<KnownIds> {
  return { sameEdge: await sameEdgeDevices(tx, deviceId), stored: await storedDocuments(tx, ids) };
}

type DocumentMutation = Extract<ValidMutation, { kind: DocumentKind }>;

/** The mutations whose ids are new in the tenant; each other one is reported `duplicate` or `id_conflict`. */
export function freshIds<M extends DocumentMutation>(
  known: KnownIds,
  mutations: readonly M[],
  report: Report,
): M[] {
  return mutations.filter((m) => {
    const verdict = idVerdict(m, m.doc.id, known.sameEdge, known.stored.get(m.doc.id));
    if (verdict !== 'new') report(m, verdict);
    return verdict === 'new';
  });
}
