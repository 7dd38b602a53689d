// The edge's side of sync: hello, then push the outbox in batches bounded in count and bytes until
// it is empty (acks marked as they come, a gap answered by resending from where the cloud stands),
// then pull catalog pages until there are no more and apply them with the new cursor, then the
// branch's stock movements recorded elsewhere. Each recorded
// ack is a sync (lastSyncAt); an exchange that ends with nothing pending also marks the outbox empty.
// What became of rejected and held entries is asked after each welcome and whenever the cloud says.

import { isRetriedWithBackoff } from '../../src/protocol/errors.ts';
import {
  type Down,
  MAX_OUTCOME_SEQS,
  type MutationResult,
  type Welcome,
} from '../../src/protocol/messages.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/version.ts';
import type { PendingMutation } from '../store/outbox.ts';
import type { EdgeStore } from '../store/store.ts';
import { applyChanges, readPullCursor } from './apply-changes.ts';
import { applyStockMovements, readStockCursor } from './apply-stock.ts';
import type { SyncConnection } from './connection.ts';

export interface SyncSummary {
  pushed: number;
  duplicates: number;
  rejected: number;
  /** Accepted by the cloud and kept until what they depend on arrives (a refund before its original). */
  held: number;
  pulled: number;
}

/** The cloud refused this edge; `retry` says whether trying again later can help, `retryAfterMs` when. */
export class SyncRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retry: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Push batches awaiting their acks at once. */
const PIPELINE_DEPTH = 2;

/** Acknowledged results recorded in one commit. */
const ACKS_PER_RECORD = 5000;

/** Acks are recorded at least this often, so lastSyncAt keeps up with a backlog of small batches. */
const RECORD_EVERY_MS = 1000;

function refusalOf(reply: Down): SyncRefused {
  if (reply.type !== 'error')
    return new SyncRefused('unexpected_reply', `unexpected ${reply.type} from the cloud`, true);
  const explain: Record<string, string> = {
    unauthorized: "the cloud refused this device's token (revoked, or registered to another tenant)",
    upgrade_required: `this edge is too old or too new for the cloud: ${reply.message}`,
    tenant_suspended: 'the tenant is suspended; sales stay in the outbox until it is active again',
    tenant_migrating:
      "the cloud is bringing the tenant's database to its new schema; sales stay in the outbox and are pushed once it is done",
    device_in_use:
      'this device token is bound to another edge database; register a new device for this one (modernpos device register)',
    seq_conflict:
      'the cloud holds other documents under sequence numbers this database reuses (restored, cloned or power-cut store); register a new device for it: nothing is lost, its outbox is pushed again',
  };
  return new SyncRefused(
    reply.code,
    explain[reply.code] ?? reply.message,
    isRetriedWithBackoff(reply.code),
    reply.retryAfterMs,
  );
}

export interface SessionHooks {
  /** Progress for a terminal: pushed so far and still pending. */
  onProgress?: (done: number, pending: number) => void;
  /** Default 500; the cloud's limit wins when lower. */
  maxBatchMutations?: number;
}

/** Makes the entries after `seq` pending again, or refuses if the outbox no longer holds them. */
function reopenAfter(store: EdgeStore, seq: number): void {
  if (!store.outbox.reopenFrom(seq + 1)) {
    throw new SyncRefused(
      'seq_gap',
      `the cloud has this device's mutations only up to seq ${seq}, and this edge has pruned the ones after it; an operator must reconcile`,
      false,
    );
  }
}

/** Says hello and returns the welcome, or throws the refusal. */
export async function sayHello(conn: SyncConnection, store: EdgeStore): Promise<Welcome> {
  const terminals = store.database.sqlite
    .prepare('SELECT terminal FROM sales UNION SELECT terminal FROM shifts ORDER BY 1 LIMIT 64')
    .pluck()
    .all() as string[];
  const reply = await conn.request({
    type: 'hello',
    protocolVersion: PROTOCOL_VERSION,
    schemaVersion: store.database.tenantSchemaVersion,
    storeId: store.meta.get('store_id')!,
    pullCursor: readPullCursor(store.database.db),
    terminals,
    agent: `modernpos-edge ${process.version}`,
    backlog: store.outbox.backlog(store.now()),
  });
  if (reply.type !== 'welcome') throw refusalOf(reply);
  // The cloud's position is not taken on trust: the edge pushes from its own first unacknowledged
  // entry, and the cloud answers what it already has `duplicate` after checking the ids match. A
  // cloud behind what this edge holds as acknowledged (everything before its first unacknowledged
  // entry, or every seq it gave out, even those since pruned) was restored to an earlier point: the
  // entries it lost are pushed again while the outbox still has them, and a hole is reported at once.
  const acknowledgedUpTo = (store.outbox.firstUnacked() ?? store.outbox.lastAssigned() + 1) - 1;
  if (reply.lastAppliedSeq < acknowledgedUpTo) reopenAfter(store, reply.lastAppliedSeq);
  return reply;
}

/** Where the cloud stands for this device on an open connection (moves on with every ack). */
export interface PushPosition {
  after: number;
  limits: Welcome['limits'];
}

/** Pushing starts before the first unacknowledged entry; with none, after the last seq given out. */
export const positionOf = (welcome: Welcome, store: EdgeStore): PushPosition => ({
  after: (store.outbox.firstUnacked() ?? store.outbox.lastAssigned() + 1) - 1,
  limits: welcome.limits,
});

/** Pushes until the outbox is empty; returns the counts of this push and moves `position` on. */
export async function pushAll(
  conn: SyncConnection,
  store: EdgeStore,
  position: PushPosition,
  hooks: SessionHooks = {},
): Promise<Omit<SyncSummary, 'pulled'>> {
  const counts = { pushed: 0, duplicates: 0, rejected: 0, held: 0 };
  let maxCount = Math.min(hooks.maxBatchMutations ?? 500, position.limits.maxBatchMutations);
  // Leave room for the envelope of each mutation and of the message.
  const maxBytes = Math.floor(position.limits.maxFrameBytes * 0.9);
  // Two batches in flight: the cloud answers a connection's messages in order, so the next batch is
  // read, sent and parsed while the one before is being written.
  const inFlight: { size: number; reply: Promise<Down> }[] = [];
  let sent = position.after;
  /** After a refusal, the replies still owed are for batches sent too early: heard and dropped. */
  const drain = async () => {
    for (const f of inFlight.splice(0)) await f.reply.catch(() => undefined);
  };
  // Acks are recorded a few batches at a time: each record is a synced commit, and one lost to a
  // crash costs only a resend that the cloud answers `duplicate`.
  let unrecorded: MutationResult[] = [];
  let recordedAt = Date.now();
  const record = () => {
    if (unrecorded.length > 0) store.outbox.markAcked(unrecorded, store.now().toISOString());
    unrecorded = [];
    recordedAt = Date.now();
  };
  const total = store.outbox.status(store.now()).pending;
  try {
    for (;;) {
      while (inFlight.length < PIPELINE_DEPTH) {
        const batch = store.outbox.pending(sent, maxCount, maxBytes);
        if (batch.length === 0) break;
        const reply = conn.requestFrame(pushFrame(batch));
        // Awaited in turn below; if the connection dies first, this one's rejection is expected.
        reply.catch(() => undefined);
        inFlight.push({ size: batch.length, reply });
        sent = batch.at(-1)!.seq;
      }
      const next = inFlight.shift();
      if (!next) return counts;
      const reply = await next.reply;
      if (reply.type === 'ack') {
        unrecorded.push(...reply.results);
        if (unrecorded.length >= ACKS_PER_RECORD || Date.now() - recordedAt >= RECORD_EVERY_MS) record();
        for (const r of reply.results) {
          if (r.status === 'applied') counts.pushed++;
          else if (r.status === 'duplicate') counts.duplicates++;
          else if (r.status === 'held') counts.held++;
          else counts.rejected++;
        }
        position.after = reply.lastAppliedSeq;
        const done = counts.pushed + counts.duplicates + counts.rejected + counts.held;
        hooks.onProgress?.(done, Math.max(0, total - done));
        continue;
      }
      record();
      await drain();
      if (reply.type === 'error' && reply.code === 'seq_gap') {
        // The cloud lacks entries this edge holds as acknowledged: pushed again from where it stands.
        const expected = Number(reply.details?.expectedSeq ?? position.after + 1);
        reopenAfter(store, expected - 1);
        position.after = expected - 1;
        sent = position.after;
        continue;
      }
      if (
        reply.type === 'error' &&
        (reply.code === 'batch_too_large' || reply.code === 'frame_too_large') &&
        next.size > 1
      ) {
        maxCount = Math.max(1, Math.floor(next.size / 2));
        sent = position.after;
        continue;
      }
      throw refusalOf(reply);
    }
  } finally {
    record();
  }
}

/**
 * A `push` message (src/protocol/messages.ts) built around the payloads' stored JSON, so a large
 * backlog is not parsed and serialized again on its way out.
 */
export function pushFrame(batch: readonly PendingMutation[]): string {
  const mutations = batch.map(
    (m) =>
      `{"seq":${m.seq},"id":${JSON.stringify(m.id)},"kind":${JSON.stringify(m.kind)},"payload":${m.payloadJson}}`,
  );
  return `{"type":"push","mutations":[${mutations.join(',')}]}`;
}

/** Pulls every page after the stored cursor and applies them together with the last cursor. */
export async function pullAll(conn: SyncConnection, store: EdgeStore): Promise<number> {
  const start = readPullCursor(store.database.db);
  let cursor = start;
  const changes = [];
  for (;;) {
    const reply = await conn.request({ type: 'pull', cursor });
    if (reply.type !== 'changes') throw refusalOf(reply);
    changes.push(...reply.changes);
    cursor = reply.cursor;
    if (!reply.more) break;
  }
  if (cursor === start) return 0;
  return applyChanges(store.database, changes, cursor, store.now().toISOString());
}

/**
 * Pulls the branch's stock movements recorded elsewhere (protocol 5), a page at a time, each page
 * applied with its cursor; returns how many rows were new here.
 */
export async function pullStock(conn: SyncConnection, store: EdgeStore): Promise<number> {
  let added = 0;
  for (;;) {
    const cursor = readStockCursor(store);
    const reply = await conn.request({ type: 'stock_pull', cursor });
    if (reply.type !== 'stock_changes') throw refusalOf(reply);
    if (reply.cursor !== cursor) added += applyStockMovements(store, reply.movements, reply.cursor);
    if (!reply.more) return added;
  }
}

/**
 * Asks the cloud what became of every entry this edge still lists as rejected or held, a page of
 * seqs at a time, and records the answers (protocol 4); returns how many entries were resolved.
 */
export async function askOutcomes(conn: SyncConnection, store: EdgeStore): Promise<number> {
  let after = 0;
  let resolved = 0;
  for (;;) {
    const seqs = store.outbox.openSeqs(after, MAX_OUTCOME_SEQS);
    if (seqs.length === 0) return resolved;
    const reply = await conn.request({ type: 'outcomes', seqs });
    if (reply.type !== 'outcomes') throw refusalOf(reply);
    resolved += store.outbox.recordOutcomes(reply.outcomes, store.now().toISOString());
    if (seqs.length < MAX_OUTCOME_SEQS) return resolved;
    after = seqs.at(-1)!;
  }
}

/** One complete exchange on an open connection: hello, push everything, pull everything, ask outcomes. */
export async function syncOn(
  conn: SyncConnection,
  store: EdgeStore,
  hooks: SessionHooks = {},
): Promise<SyncSummary> {
  const welcome = await sayHello(conn, store);
  const pushed = await pushAll(conn, store, positionOf(welcome, store), hooks);
  const pulled = await pullAll(conn, store);
  if (welcome.protocolVersion >= 5) await pullStock(conn, store);
  await askOutcomes(conn, store);
  // The acks moved lastSyncAt already; a complete exchange with nothing left pending is in sync.
  store.outbox.markInSync(store.now().toISOString());
  store.meta.set('last_sync_error', null);
  return { ...pushed, pulled };
}
