// The sync protocol's messages (one JSON object per WebSocket text frame), as the two unions "up"
// (edge → cloud) and "down" (cloud → edge). Every frame is parsed here at the socket; anything else
// is answered `invalid_message`.
import { z } from 'zod';
import { codeSchema, strictObject } from '../domain/payloads.ts';
import { syncErrorCodes } from './errors.ts';
import { mutationSchema } from './mutations.ts';
import { rejectionCodeSchema } from './rejections.ts';

const cursor = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const version = z.number().int().positive().max(1_000_000);

/**
 * What an edge has not yet had acknowledged (protocol 2), for the cloud's per-device metrics. The
 * age is the edge's own arithmetic, so a till whose clock is wrong still reports it right. Parsed
 * leniently where it is used: a figure for metrics is never the reason a till cannot sync.
 */
export const backlogSchema = strictObject({
  pending: z.number().int().nonnegative(),
  /** Seconds since the oldest unacknowledged mutation was recorded; null with nothing pending. */
  oldestPendingAgeSeconds: z.number().nonnegative().nullable(),
});
const lenientBacklog = backlogSchema.optional().catch(undefined);

/** First message of a connection: who the edge is and where it stands. */
export const helloSchema = strictObject({
  type: z.literal('hello'),
  protocolVersion: version,
  /** The tenant schema version of the edge's store. */
  schemaVersion: version,
  /** The edge database's own id: a device token is bound to the first database that syncs with it. */
  storeId: z.uuid(),
  /** The edge's change-log cursor: catalog changes after it are still to come. */
  pullCursor: cursor,
  /** Terminal codes this device records sales for (a branch server has several). */
  terminals: z.array(codeSchema).max(64),
  /** Free text for operators (build, host). */
  agent: z.string().max(200).optional(),
  backlog: lenientBacklog,
});

/** A batch of outbox mutations in seq order, starting right after the last acknowledged one. */
export const pushSchema = strictObject({
  type: z.literal('push'),
  mutations: z.array(mutationSchema).min(1),
});

/** Asks for catalog changes after `cursor`, at most `limit` of them. */
export const pullSchema = strictObject({
  type: z.literal('pull'),
  cursor,
  limit: z.number().int().positive().max(10_000).optional(),
});

/** Most stock movements one `stock_changes` page carries. */
export const MAX_STOCK_PAGE = 5000;

/**
 * (Protocol 5) Asks for the stock movements of the device's branch after `cursor` (the branch's
 * ledger cursor) that other devices and HQ recorded: other tills' sales, receipts, counts, transfers in.
 */
export const stockPullSchema = strictObject({
  type: z.literal('stock_pull'),
  cursor,
  limit: z.number().int().positive().max(MAX_STOCK_PAGE).optional(),
});

export const pingSchema = strictObject({
  type: z.literal('ping'),
  at: z.number().optional(),
  backlog: lenientBacklog,
});

/** Most seqs one `outcomes` request may name: the answer stays far below the frame limit. */
export const MAX_OUTCOME_SEQS = 500;

/**
 * (Protocol 4) What became of these seqs of the device's, acknowledged `rejected` or `held`: the edge
 * pages through the ones it still lists, in ascending seq order, at most `MAX_OUTCOME_SEQS` at a time.
 */
export const outcomesRequestSchema = strictObject({
  type: z.literal('outcomes'),
  seqs: z
    .array(cursor)
    .min(1)
    .max(MAX_OUTCOME_SEQS)
    .refine(
      (seqs) => seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
      'seqs must be ascending and distinct',
    ),
});

export const upSchema = z.discriminatedUnion('type', [
  helloSchema,
  pushSchema,
  pullSchema,
  pingSchema,
  outcomesRequestSchema,
  stockPullSchema,
]);

/** The answer to hello: the device as the tenant knows it, and the limits of this connection. */
export const welcomeSchema = strictObject({
  type: z.literal('welcome'),
  protocolVersion: version,
  orgId: z.string(),
  deviceId: z.string(),
  branch: strictObject({ code: codeSchema, timeZone: z.string() }),
  /** The terminal codes of the hello this device now owns; a code another device owns is left out (its documents are quarantined). */
  terminals: z.array(codeSchema),
  /** The last seq the tenant database has applied for this device; the edge pushes from the next. */
  lastAppliedSeq: cursor,
  /** The tenant's latest change-log cursor. */
  latestCursor: cursor,
  limits: strictObject({ maxFrameBytes: z.number().int(), maxBatchMutations: z.number().int() }),
  /** The edge pings at least this often; the cloud closes a connection silent for twice as long. */
  heartbeatMs: z.number().int(),
});

export const mutationResultSchema = strictObject({
  seq: cursor,
  id: z.string(),
  /**
   * `held` (protocol 3): accepted but not applied yet, kept by the cloud until what it depends on
   * arrives (a refund whose original sale another device has not pushed yet); the edge treats it as
   * acknowledged. Edges of protocol 1 and 2 get `rejected` with code `awaiting_original` instead.
   */
  status: z.enum(['applied', 'duplicate', 'rejected', 'held']),
  /** Why a mutation was rejected (and quarantined) or held (src/protocol/rejections.ts). */
  code: rejectionCodeSchema.optional(),
  message: z.string().optional(),
});

/** Sent only after the batch committed: one result per mutation, in order. */
export const ackSchema = strictObject({
  type: z.literal('ack'),
  results: z.array(mutationResultSchema),
  lastAppliedSeq: cursor,
});

/** One changed catalog row; `row` is null for a delete. Rows are the tenant tables' columns in camelCase. */
export const changeSchema = strictObject({
  cursor,
  entity: z.string(),
  entityId: z.string(),
  op: z.enum(['upsert', 'delete']),
  row: z.record(z.string(), z.unknown()).nullable(),
});

/**
 * One ledger row of the branch. A count's `countedQtyMilli` is what on hand became at `occurredAt`
 * (its delta is the cloud's arithmetic, recomputed when earlier movements arrive late).
 */
export const stockMovementRowSchema = strictObject({
  id: z.string(),
  productId: z.string(),
  deltaQtyMilli: z.number().int(),
  reason: z.enum(['sale', 'refund', 'receive', 'adjust', 'count', 'transfer']),
  occurredAt: z.string(),
  countedQtyMilli: z.number().int().nullable(),
  sourceId: z.string().nullable(),
});

/** (Protocol 5) A page of the branch's stock movements; `more` asks the edge to pull again from `cursor`. */
export const stockChangesSchema = strictObject({
  type: z.literal('stock_changes'),
  movements: z.array(stockMovementRowSchema),
  cursor,
  more: z.boolean(),
});

/** A page of catalog changes; `more` asks the edge to pull again from `cursor`. */
export const changesSchema = strictObject({
  type: z.literal('changes'),
  changes: z.array(changeSchema),
  cursor,
  more: z.boolean(),
});

/**
 * Where one quarantined mutation stands now. `applied`: HQ replayed it (or the cloud already held it),
 * or a held refund's original arrived; `discarded`: HQ discarded it; `rejected` or `held`: still in
 * the quarantine, with its current reason code (a held refund that failed its checks once its
 * original arrived is `rejected` from then on).
 */
export const outcomeSchema = strictObject({
  seq: cursor,
  id: z.string(),
  status: z.enum(['applied', 'discarded', 'rejected', 'held']),
  code: rejectionCodeSchema.optional(),
});

/** (Protocol 4) The answer to `outcomes`: one entry per asked seq the quarantine holds, in seq order. */
export const outcomesSchema = strictObject({
  type: z.literal('outcomes'),
  outcomes: z.array(outcomeSchema),
});

/** (Protocol 4) Some of this device's quarantined mutations were resolved: ask their outcomes. */
export const resolvedSchema = strictObject({ type: z.literal('resolved') });

/** The tenant's change log moved on: pull from your cursor. */
export const pokeSchema = strictObject({ type: z.literal('poke'), cursor });

export const pongSchema = strictObject({ type: z.literal('pong'), at: z.number().optional() });

export const errorSchema = strictObject({
  type: z.literal('error'),
  code: z.enum(
    Object.keys(syncErrorCodes) as [keyof typeof syncErrorCodes, ...(keyof typeof syncErrorCodes)[]],
  ),
  message: z.string(),
  /** Reconnect (or retry) no sooner than this. */
  retryAfterMs: z.number().int().nonnegative().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const downSchema = z.discriminatedUnion('type', [
  welcomeSchema,
  ackSchema,
  changesSchema,
  pokeSchema,
  pongSchema,
  errorSchema,
  outcomesSchema,
  resolvedSchema,
  stockChangesSchema,
]);

export type Backlog = z.infer<typeof backlogSchema>;
export type Hello = z.infer<typeof helloSchema>;
export type Push = z.infer<typeof pushSchema>;
export type Pull = z.infer<typeof pullSchema>;
export type StockPull = z.infer<typeof stockPullSchema>;
export type StockMovementRow = z.infer<typeof stockMovementRowSchema>;
export type StockChanges = z.infer<typeof stockChangesSchema>;
export type OutcomesRequest = z.infer<typeof outcomesRequestSchema>;
export type Up = z.infer<typeof upSchema>;
export type Welcome = z.infer<typeof welcomeSchema>;
export type MutationResult = z.infer<typeof mutationResultSchema>;
export type Ack = z.infer<typeof ackSchema>;
export type Change = z.infer<typeof changeSchema>;
export type Changes = z.infer<typeof changesSchema>;
export type Outcome = z.infer<typeof outcomeSchema>;
export type Outcomes = z.infer<typeof outcomesSchema>;
export type SyncErrorMessage = z.infer<typeof errorSchema>;
export type Down = z.infer<typeof downSchema>;

/** Deepest nesting a frame may have: a document is about five levels deep; far deeper is an attack. */
export const MAX_FRAME_DEPTH = 32;

/** Whether `value` nests no deeper than `max` (iterative: a hostile frame must not overflow the stack). */
function withinDepth(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

/** Parses one frame: the message, or why it is not one. */
export function parseFrame<T>(
  schema: z.ZodType<T>,
  frame: string,
): { ok: true; message: T } | { ok: false; reason: string; code?: 'frame_too_large' } {
  let raw: unknown;
  try {
    raw = JSON.parse(frame);
  } catch {
    return { ok: false, reason: 'frame is not JSON' };
  }
  if (!withinDepth(raw, MAX_FRAME_DEPTH)) {
    return { ok: false, reason: `frame nests deeper than ${MAX_FRAME_DEPTH} levels` };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    return {
      ok: false,
      reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; '),
    };
  }
  return { ok: true, message: parsed.data };
}
