// The outbox: every local mutation, numbered by a per-device gapless seq in the same transaction as
// the rows it describes, so the outbox never misses a sale and never holds one that was rolled back.
import {
  and,
  asc,
  count,
  eq,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  max,
  min,
  notInArray,
  sql,
} from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { Outcome } from '../../src/protocol/messages.ts';
import type { MutationKind, PayloadOf } from '../../src/protocol/mutations.ts';
import type { EdgeMeta } from './meta.ts';
import { preparedInsert } from './prepared.ts';
import { type NextValue, OUTBOX_SEQUENCE } from './sequences.ts';
import { localSequences, outbox } from './tables.ts';

export interface SyncStatus {
  /** Mutations not yet acknowledged by the cloud. */
  pending: number;
  /** Seconds since the oldest unacknowledged mutation was recorded; null when none is pending. */
  oldestPendingAgeSeconds: number | null;
  /**
   * The last time the cloud acknowledged this edge: an ack of a push batch, or an exchange (pull or
   * ping) completed with nothing pending. Moves while a backlog drains, even if it never empties.
   */
  lastSyncAt: string | null;
  /** The last time the outbox was seen empty after an exchange with the cloud. */
  outboxEmptyAt: string | null;
  lastError: string | null;
  /**
   * Mutations the cloud acknowledged as rejected and keeps in its quarantine; one HQ replays or
   * discards leaves the count once the edge has asked what became of it (protocol 4).
   */
  quarantined: number;
}

/** An outbox entry as it goes on the wire. */
export interface PendingMutation {
  seq: number;
  id: string;
  kind: string;
  /** The payload's JSON as stored (written by JSON.stringify when recorded): spliced into the frame as is. */
  payloadJson: string;
}

/**
 * Results an acknowledged entry can have: the ack's status, then (protocol 4) what became of a
 * rejected or held one in the cloud's quarantine: replayed or released by HQ, or discarded.
 */
export const RESOLVED_APPLIED = 'resolved_applied';
export const RESOLVED_DISCARDED = 'resolved_discarded';

/** Results still open in the cloud's quarantine: kept, and asked about, until resolved. */
const OPEN_RESULTS = ['rejected', 'held'] as const;

export interface Outbox {
  /** Appends a mutation with the next seq; its payload is typed by the wire contract of its kind. */
  append<K extends MutationKind>(kind: K, mutationId: string, payload: PayloadOf<K>, at: string): number;
  status(now: Date): SyncStatus;
  /** What the cloud has not acknowledged yet, as the edge reports it in hello and ping (protocol 2). */
  backlog(now: Date): { pending: number; oldestPendingAgeSeconds: number | null };
  /** Unacknowledged mutations after `afterSeq`, in seq order, at most `maxCount` and about `maxBytes` (always at least one). */
  pending(afterSeq: number, maxCount: number, maxBytes: number): PendingMutation[];
  /** Records the cloud's verdict on each acknowledged mutation, and `at` as the last sync. */
  markAcked(results: readonly { seq: number; status: string }[], at: string): void;
  /**
   * After an exchange with the cloud completed at `at`: if nothing is pending, records `at` as both
   * the last sync and the last empty outbox and returns true; otherwise records nothing.
   */
  markInSync(at: string): boolean;
  /** The oldest unacknowledged seq, if any. */
  firstUnacked(): number | undefined;
  /** The newest acknowledged seq, if any. */
  highestAcked(): number | undefined;
  /** The last seq ever given out (0 before the first): a new entry comes after it, even once pruned. */
  lastAssigned(): number;
  /**
   * Makes entries from `seq` on pending again (the cloud lost them); false if the outbox no longer
   * holds `seq` (pruned), so they cannot be pushed again.
   */
  reopenFrom(seq: number): boolean;
  /** Calls `listener` after each append (inside the writing transaction: it must only schedule work). */
  onAppend(listener: () => void): void;
  /** Seqs acknowledged `rejected` or `held` after `afterSeq`, ascending, at most `limit`: what the edge asks the cloud about. */
  openSeqs(afterSeq: number, limit: number): number[];
  /**
   * Records what became of quarantined entries (protocol 4), each only if its seq still holds that
   * mutation id: `applied` or `discarded` closes the entry at `at` (then pruned like any acked one),
   * `rejected` or `held` becomes its current result. Returns how many entries were closed.
   */
  recordOutcomes(outcomes: readonly Outcome[], at: string): number;
  /** Deletes entries acknowledged before `before` (rejected and held ones stay until the cloud resolves them); returns how many. */
  prune(before: string): number;
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
  const unacked = db
    .select()
    .from(outbox)
    .where(and(isNull(outbox.ackedAt), gt(outbox.seq, sql.placeholder('after'))))
    .orderBy(asc(outbox.seq))
    .limit(sql.placeholder('limit'))
    .prepare();
  const ack = db
    .update(outbox)
    .set({
      ackedAt: sql.placeholder('at') as unknown as string,
      result: sql.placeholder('result') as unknown as string,
    })
    .where(eq(outbox.seq, sql.placeholder('seq')))
    .prepare();
  const listeners: (() => void)[] = [];
  const firstUnacked = db
    .select({ seq: min(outbox.seq) })
    .from(outbox)
    .where(isNull(outbox.ackedAt))
    .prepare();
  const ackRange = db
    .update(outbox)
    .set({ ackedAt: sql.placeholder('at') as unknown as string, result: 'applied' })
    .where(and(gte(outbox.seq, sql.placeholder('from')), lte(outbox.seq, sql.placeholder('to'))))
    .prepare();
  return {
    onAppend: (listener) => {
      listeners.push(listener);
    },
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
      for (const listener of listeners) listener();
      return seq;
    },
    pending(afterSeq, maxCount, maxBytes) {
      const rows = unacked.all({ after: afterSeq, limit: maxCount });
      const batch: PendingMutation[] = [];
      let bytes = 0;
      for (const r of rows) {
        const size = Buffer.byteLength(r.payload);
        if (batch.length > 0 && bytes + size > maxBytes) break;
        bytes += size;
        batch.push({ seq: r.seq, id: r.mutationId, kind: r.kind, payloadJson: r.payload });
      }
      return batch;
    },
    // One transaction for a whole ack (at synchronous=FULL a commit per entry would cost a disk sync
    // each), and one UPDATE per run of consecutive `applied` seqs, by far the common case.
    markAcked(results, at) {
      db.transaction(
        () => {
          let run: [number, number] | undefined;
          const flush = () => {
            if (run) ackRange.run({ from: run[0], to: run[1], at });
            run = undefined;
          };
          for (const r of [...results].sort((a, b) => a.seq - b.seq)) {
            if (r.status !== 'applied') {
              flush();
              ack.run({ seq: r.seq, at, result: r.status });
            } else if (run && r.seq === run[1] + 1) run[1] = r.seq;
            else {
              flush();
              run = [r.seq, r.seq];
            }
          }
          flush();
          meta.set('last_sync_at', at);
        },
        { behavior: 'immediate' },
      );
    },
    markInSync(at) {
      return db.transaction(
        () => {
          if ((firstUnacked.get()?.seq ?? null) !== null) return false;
          meta.set('last_sync_at', at);
          meta.set('outbox_empty_at', at);
          return true;
        },
        { behavior: 'immediate' },
      );
    },
    firstUnacked: () => firstUnacked.get()?.seq ?? undefined,
    highestAcked: () =>
      db
        .select({ seq: max(outbox.seq) })
        .from(outbox)
        .where(isNotNull(outbox.ackedAt))
        .get()?.seq ?? undefined,
    lastAssigned: () =>
      db
        .select({ value: localSequences.value })
        .from(localSequences)
        .where(eq(localSequences.name, OUTBOX_SEQUENCE))
        .get()?.value ?? 0,
    reopenFrom(seq) {
      if (!db.select({ seq: outbox.seq }).from(outbox).where(eq(outbox.seq, seq)).get()) return false;
      db.update(outbox).set({ ackedAt: null, result: null }).where(gte(outbox.seq, seq)).run();
      return true;
    },
    prune(before) {
      return db
        .delete(outbox)
        .where(and(lt(outbox.ackedAt, before), notInArray(outbox.result, [...OPEN_RESULTS])))
        .run().changes;
    },
    openSeqs(afterSeq, limit) {
      return db
        .select({ seq: outbox.seq })
        .from(outbox)
        .where(and(gt(outbox.seq, afterSeq), inArray(outbox.result, [...OPEN_RESULTS])))
        .orderBy(asc(outbox.seq))
        .limit(limit)
        .all()
        .map((r) => r.seq);
    },
    recordOutcomes(outcomes, at) {
      return db.transaction(
        () => {
          let closed = 0;
          for (const o of outcomes) {
            const final =
              o.status === 'applied'
                ? RESOLVED_APPLIED
                : o.status === 'discarded'
                  ? RESOLVED_DISCARDED
                  : null;
            const row = and(
              eq(outbox.seq, o.seq),
              eq(outbox.mutationId, o.id),
              inArray(outbox.result, [...OPEN_RESULTS]),
            );
            if (final) {
              // The resolution is the entry's final acknowledgement: retention counts from it.
              closed += db.update(outbox).set({ result: final, ackedAt: at }).where(row).run().changes;
            } else db.update(outbox).set({ result: o.status }).where(row).run();
          }
          return closed;
        },
        { behavior: 'immediate' },
      );
    },
    backlog(now) {
      const { pending, oldestPendingAgeSeconds } = this.status(now);
      return { pending, oldestPendingAgeSeconds };
    },
    status(now) {
      const p = pending.get();
      const oldest = p?.oldest ?? null;
      return {
        pending: p?.n ?? 0,
        oldestPendingAgeSeconds:
          oldest === null ? null : Math.max(0, Math.floor((now.getTime() - Date.parse(oldest)) / 1000)),
        lastSyncAt: meta.get('last_sync_at') ?? null,
        outboxEmptyAt: meta.get('outbox_empty_at') ?? null,
        lastError: meta.get('last_sync_error') ?? null,
        quarantined: rejected.get()?.n ?? 0,
      };
    },
  };
}
