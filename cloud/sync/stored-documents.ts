// What the tenant already holds under a document id, whatever its table: a pushed document is a
// duplicate only when the same device stored the same kind under that id; any other holder makes it
// an `id_conflict`, so one till can never have its sale taken for another till's.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { Rejection } from './validate.ts';

export type DocumentKind = 'sale' | 'refund' | 'shift_open' | 'cash_movement';

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
       FROM cash_movements c JOIN shifts s ON s.id = c.shift_id WHERE c.id = ANY($1::text[])`,
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
 * What a fresh mutation meets under its id: nothing (store it), its own document from this device
 * (`duplicate`, no second effect), or someone else's (`id_conflict`, quarantined).
 */
export function idVerdict(
  kind: DocumentKind,
  id: string,
  deviceId: string,
  stored: StoredDocument | undefined,
): 'new' | 'duplicate' | Rejection {
  if (!stored) return 'new';
  if (stored.kind === kind && stored.deviceId === deviceId) return 'duplicate';
  const holder = stored.deviceId === deviceId ? 'this device' : 'another device';
  return {
    code: 'id_conflict',
    reason: `id ${id} already names a ${stored.kind.replace('_', ' ')} of ${holder}`,
  };
}
