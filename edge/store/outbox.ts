// The outbox: every local mutation, numbered by a per-device gapless seq in the same transaction as
// the rows it describes, so the outbox never misses a sale and never holds one that was rolled back.
import { and, count, eq, isNull, min, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { MutationKind, PayloadOf } from '../../src/protocol/mutations.ts';
import type { EdgeMeta } from './meta.ts';
import { preparedInsert } from './prepared.ts';
import { type NextValue, OUTBOX_SEQUENCE } from './sequences.ts';
import { outbox } from './tables.ts';

export interface SyncStatus {
  /** Mutations not yet acknowledged by the cloud. */
  pending: number;
  /** Seconds since the oldest unacknowledged mutation was recorded; null when none is pending. */
  oldestPendingAgeSeconds: number | null;
  lastSyncAt: string | null;
  lastError: string | null;
  /** Mutations the cloud acknowledged as rejected and keeps in its quarantine. */
  quarantined: number;
}

export interface Outbox {
  /** Appends a mutation with the next seq; its payload is typed by the wire contract of its kind. */
  append<K extends MutationKind>(kind: K, mutationId: string, payload: PayloadOf<K>, at: string): number;
  status(now: Date): SyncStatus;
}

export function createOutbox(db: BetterSQLite3Database, next: NextValue, meta: EdgeMeta): Outbox {
  const insert = preparedInsert(db, outbox);
  const pending = db
    .select({ n: count(), oldest: min(outbox.createdAt) })
    .from(outbox)
    .where(isNull(outbox.ackedAt))
    .prepare();
  const rejected = db
    .select({ n: count() })
    .from(outbox)
    .where(and(sql`${outbox.ackedAt} IS NOT NULL`, eq(outbox.result, 'rejected')))
    .prepare();
  return {
    append(kind, mutationId, payload, at) {
      const seq = next(OUTBOX_SEQUENCE);
      insert.run({
        seq,
        mutationId,
        kind,
        payload: JSON.stringify(payload),
        createdAt: at,
        ackedAt: null,
        result: null,
      });
      return seq;
    },
    status(now) {
      const p = pending.get();
      const oldest = p?.oldest ?? null;
      return {
        pending: p?.n ?? 0,
        oldestPendingAgeSeconds:
          oldest === null ? null : Math.max(0, Math.floor((now.getTime() - Date.parse(oldest)) / 1000)),
        lastSyncAt: meta.get('last_sync_at') ?? null,
        lastError: meta.get('last_sync_error') ?? null,
        quarantined: rejected.get()?.n ?? 0,
      };
    },
  };
}
