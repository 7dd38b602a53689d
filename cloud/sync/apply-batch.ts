// Applies one pushed batch to the tenant's database in one transaction together with the device's
// last applied seq: replays are duplicates, a gap refuses the batch, each table gets one set-based
// insert, and the ack (built from what committed) is sent only after the commit.
import { driverErrorCode } from '../../src/db/driver-errors.ts';
import type { SqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import type { MutationResult } from '../../src/protocol/messages.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { claimTerminals } from './terminals.ts';
import {
  checkSaleDocument,
  checkShift,
  type DeviceScope,
  parseMutation,
  type Rejection,
  terminalOf,
  type ValidMutation,
} from './validate.ts';
import { applyValid, type Quarantined, quarantine } from './write-documents.ts';

export type BatchOutcome =
  | { ok: true; results: MutationResult[]; lastAppliedSeq: number }
  | { ok: false; code: 'seq_gap'; message: string; expectedSeq: number }
  | { ok: false; code: 'seq_conflict'; message: string; seq: number };

export interface ApplyBatchOptions {
  deviceId: string;
  /** The device's branch and the tenant's currency; terminals are claimed from the batch itself. */
  scope: Omit<DeviceScope, 'terminals'>;
  mutations: readonly Mutation[];
  /** The mutations' payloads parsed already (the session does it on arrival, while the previous batch is written). */
  parsed?: ReadonlyMap<number, ParsedMutation['parsed']>;
  now?: () => Date;
}

/** Applies a batch; throws `unauthorized` if the device was revoked meanwhile. */
/** Serialization failures and deadlocks (two devices of a branch moving the same stock) are retried. */
const RETRYABLE = new Set(['40001', '40P01']);

export async function applyBatch(db: SqlDatabase, options: ApplyBatchOptions): Promise<BatchOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await applyBatchOnce(db, options);
    } catch (err) {
      if (attempt >= 3 || !RETRYABLE.has(driverErrorCode(err))) throw err;
    }
  }
}

async function applyBatchOnce(db: SqlDatabase, options: ApplyBatchOptions): Promise<BatchOutcome> {
  const receivedAt = (options.now?.() ?? new Date()).toISOString();
  // Parsing payloads needs no database: done before BEGIN, so the transaction holds its locks (the
  // device row above all) only for the SQL.
  const parsed = options.parsed ?? parsePayloads(options.mutations);
  return db.transaction(async (tx) => {
    const [device] = await tx.query<{ last: number; revoked: boolean }>(
      'SELECT last_applied_seq AS last, revoked_at IS NOT NULL AS revoked FROM devices WHERE id = $1 FOR UPDATE',
      [options.deviceId],
    );
    if (!device || device.revoked) throw new AppError('unauthorized', 'the device was revoked');
    const last = Number(device.last);
    const fresh = options.mutations.filter((m) => m.seq > last);
    const gap = fresh.findIndex((m, i) => m.seq !== last + 1 + i);
    if (gap !== -1) {
      return {
        ok: false,
        code: 'seq_gap',
        message: `expected seq ${last + 1 + gap}, got ${fresh[gap]!.seq}; resend from ${last + 1}`,
        expectedSeq: last + 1,
      };
    }
    const results = await resendResults(
      tx,
      options.deviceId,
      options.mutations.filter((m) => m.seq <= last),
    );
    if (!(results instanceof Map)) return results;
    const { outcomes, quarantined } = await applyMutations(
      tx,
      options.deviceId,
      options.scope,
      fresh.map((m) => ({ m, parsed: parsed.get(m.seq)! })),
      receivedAt,
    );
    for (const [seq, result] of outcomes) results.set(seq, result);
    await quarantine(tx, options.deviceId, quarantined, receivedAt);
    for (const { m, rejection } of quarantined) {
      results.set(m.seq, {
        seq: m.seq,
        id: m.id,
        status: 'rejected',
        code: rejection.code,
        message: rejection.reason,
      });
    }
    const lastAppliedSeq = fresh.at(-1)?.seq ?? last;
    await tx.query('UPDATE devices SET last_applied_seq = $2, last_seen_at = $3 WHERE id = $1', [
      options.deviceId,
      lastAppliedSeq,
      receivedAt,
    ]);
    return {
      ok: true,
      results: options.mutations.map((m) => results.get(m.seq)!),
      lastAppliedSeq,
    };
  });
}

/** Where a resent mutation's document would be, by kind (a shift close has no id of its own). */
const documentTables: Partial<Record<string, string>> = {
  sale: 'sales',
  refund: 'sales',
  shift_open: 'shifts',
  cash_movement: 'cash_movements',
};

/**
 * Answers mutations at or below the device's last applied seq: `duplicate` when the document with
 * that id is there, `rejected` (with its reason) when that seq is quarantined, and `seq_conflict` when
 * the cloud holds something else under the seq: an edge database reusing numbers (restored, cloned,
 * or one that lost its last commits) must never have a new sale taken for a duplicate.
 */
async function resendResults(
  tx: SqlQueryable,
  deviceId: string,
  resent: readonly Mutation[],
): Promise<Map<number, MutationResult> | Extract<BatchOutcome, { code: 'seq_conflict' }>> {
  const results = new Map<number, MutationResult>();
  if (resent.length === 0) return results;
  const quarantined = new Map(
    (
      await tx.query<{ seq: number; mutation_id: string; reason_code: string; reason: string }>(
        'SELECT seq, mutation_id, reason_code, reason FROM sync_quarantine WHERE device_id = $1 AND seq = ANY($2::int8[])',
        [deviceId, resent.map((m) => m.seq)],
      )
    ).map((q) => [Number(q.seq), q]),
  );
  const present = new Set<string>();
  for (const table of new Set(Object.values(documentTables))) {
    const ids = resent.filter((m) => documentTables[m.kind] === table).map((m) => m.id);
    if (ids.length === 0) continue;
    const rows = await tx.query<{ id: string }>(`SELECT id FROM ${table} WHERE id = ANY($1::text[])`, [ids]);
    for (const r of rows) present.add(`${table}:${r.id}`);
  }
  for (const m of resent) {
    const q = quarantined.get(m.seq);
    const table = documentTables[m.kind];
    if (q && q.mutation_id === m.id) {
      results.set(m.seq, {
        seq: m.seq,
        id: m.id,
        status: 'rejected',
        code: q.reason_code,
        message: q.reason,
      });
    } else if (!q && (table === undefined || present.has(`${table}:${m.id}`))) {
      results.set(m.seq, { seq: m.seq, id: m.id, status: 'duplicate' });
    } else {
      return {
        ok: false,
        code: 'seq_conflict',
        message: `seq ${m.seq} was applied to another document than ${m.id}: this edge database reuses sequence numbers; register a new device for it`,
        seq: m.seq,
      };
    }
  }
  return results;
}

/** A mutation with its payload parsed for its kind (or why it could not be). */
export interface ParsedMutation {
  m: Mutation;
  parsed: ReturnType<typeof parseMutation>;
}

/** Every mutation's payload parsed for its kind, by seq. */
export const parsePayloads = (
  mutations: readonly Mutation[],
): ReadonlyMap<number, ParsedMutation['parsed']> => new Map(mutations.map((m) => [m.seq, parseMutation(m)]));

/** Parses a mutation's payload for its kind; pure, so callers do it outside their transaction. */
export const parsedMutation = (m: Mutation): ParsedMutation => ({ m, parsed: parseMutation(m) });

/**
 * Validates and applies mutations whose seq is already settled (fresh ones of a batch, or one
 * quarantined mutation replayed): terminals claimed, each checked, the valid ones written with one
 * statement per table. Returns the results of those written and the ones refused, not yet quarantined.
 */
export async function applyMutations(
  tx: SqlQueryable,
  deviceId: string,
  scopeWithoutTerminals: Omit<DeviceScope, 'terminals'>,
  parsed: readonly ParsedMutation[],
  receivedAt: string,
): Promise<{ outcomes: Map<number, MutationResult>; quarantined: Quarantined[] }> {
  const outcomes = new Map<number, MutationResult>();
  const quarantined: Quarantined[] = [];
  const valid: ValidMutation[] = [];
  const named = parsed.flatMap(({ parsed: p }) => ('code' in p ? [] : (terminalOf(p) ?? [])));
  const terminals = await claimTerminals(tx, deviceId, named, receivedAt);
  const scope: DeviceScope = { ...scopeWithoutTerminals, terminals };
  const ids = new Set<string>();
  for (const { m, parsed: p } of parsed) {
    const rejection: Rejection | undefined =
      'code' in p
        ? p
        : ids.has(m.id)
          ? { code: 'invalid_payload', reason: `mutation id ${m.id} appears twice in the batch` }
          : check(p, scope);
    if (rejection) quarantined.push({ m, rejection });
    else {
      ids.add(m.id);
      valid.push(p as ValidMutation);
    }
  }
  await applyValid(tx, valid, deviceId, receivedAt, (m, outcome) => {
    if (typeof outcome === 'object') {
      quarantined.push({ m: parsed.find((f) => f.m.seq === m.seq)!.m, rejection: outcome });
    } else outcomes.set(m.seq, { seq: m.seq, id: m.id, status: outcome });
  });
  return { outcomes, quarantined };
}

function check(m: ValidMutation, scope: DeviceScope): Rejection | undefined {
  if (m.kind === 'sale' || m.kind === 'refund') return checkSaleDocument(m.doc, scope);
  if (m.kind === 'shift_open') return checkShift(m.doc, scope);
  return undefined;
}
