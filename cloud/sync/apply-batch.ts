// Applies one pushed batch to the tenant's database in one transaction together with the device's
// last applied seq: replays are duplicates, a gap refuses the batch, each table gets one set-based
// insert, and the ack (built from what committed) is sent only after the commit. A batch that the
// database refuses for good is applied again one mutation at a time, so no mutation blocks a queue.
import { driverErrorCode, isRetryableFailure } from '../../src/db/driver-errors.ts';
import type { SqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import type { MutationResult } from '../../src/protocol/messages.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';
import { isStockKind } from '../../src/protocol/stock.ts';
import { lockAppliedSeq, recordApplied } from '../devices/applied-seq.ts';
import { type DeviceScope, deviceScope } from '../devices/scope.ts';
import { databaseRefusal } from './database-refusal.ts';
import { releaseHeldRefunds } from './held-refunds.ts';
import { type JournalBreak, recordJournal } from './journal-push.ts';
import { type ParsedMutation, parsedMutation, parsePayloads } from './parsed-mutation.ts';
import { resendResults, type SeqConflict } from './resend.ts';
import { claimTerminals } from './terminals.ts';
import {
  checkSaleDocument,
  checkShift,
  checkStock,
  checkTerminal,
  parseMutation,
  printable,
  type Rejection,
  terminalOf,
  type ValidMutation,
} from './validate.ts';
import { applyValid } from './write-documents.ts';
import { type Quarantined, quarantine } from './write-quarantine.ts';
import { MovementIdTaken } from './write-sales.ts';

export type BatchOutcome =
  | { ok: true; results: MutationResult[]; lastAppliedSeq: number; journalBreaks: JournalBreak[] }
  | { ok: false; code: 'seq_gap'; message: string; expectedSeq: number }
  | SeqConflict;

export interface ApplyBatchOptions {
  deviceId: string;
  /** The tenant: its journal chains' genesis names it. Without it a batch's journal links are not recorded. */
  orgId?: string;
  /** The device's branch and the tenant's currency; terminals are claimed from the batch itself. */
  scope: DeviceScope;
  mutations: readonly Mutation[];
  /** The mutations' payloads parsed already (the session does it on arrival, while the previous batch is written). */
  parsed?: ReadonlyMap<number, ParsedMutation['parsed']>;
  now?: () => Date;
}

/** Serialization failures and deadlocks (two devices of a branch moving the same stock) are retried here. */
const RACES = new Set(['40001', '40P01']);

/**
 * Applies a batch; throws `unauthorized` if the device was revoked meanwhile, and rethrows what is
 * worth retrying later (a lost connection: the edge resends). Any other failure of the whole batch
 * makes it apply again one mutation at a time: the mutation the database refuses is quarantined with
 * its SQLSTATE (`database_refused`) and the rest apply.
 */
export async function applyBatch(db: SqlDatabase, options: ApplyBatchOptions): Promise<BatchOutcome> {
  // Parsing payloads needs no database: done before BEGIN, so the transaction holds its locks (the
  // device row above all) only for the SQL.
  const parsed = options.parsed ?? parsePayloads(options.mutations);
  let oneByOne = false;
  // A batch's stock movement ids are assumed new (the ledger insert tells), and looked up first only
  // when one was not: the usual batch saves a lookup of every movement id.
  let movementIds: ApplyMutationsOptions['movementIds'] = 'assumed new';
  let races = 0;
  let taken = 0;
  for (;;) {
    try {
      return await applyBatchOnce(db, options, parsed, { oneByOne, movementIds });
    } catch (err) {
      // A movement id was taken (assumed new, or by another transaction since it was looked up): run
      // again looking ids up. Should that keep failing, one at a time quarantines the document alone.
      if (err instanceof MovementIdTaken && ++taken <= 3) {
        movementIds = undefined;
        continue;
      }
      if (err instanceof AppError) throw err;
      if (RACES.has(driverErrorCode(err)) && ++races < 3) continue;
      if (isRetryableFailure(err) || oneByOne) throw err;
      oneByOne = true;
    }
  }
}

async function applyBatchOnce(
  db: SqlDatabase,
  options: ApplyBatchOptions,
  parsed: ReadonlyMap<number, ParsedMutation['parsed']>,
  mode: { oneByOne: boolean; movementIds: ApplyMutationsOptions['movementIds'] },
): Promise<BatchOutcome> {
  const receivedAt = (options.now?.() ?? new Date()).toISOString();
  return db.transaction(async (tx) => {
    const device = await lockAppliedSeq(tx, options.deviceId);
    if (!device || device.revoked) throw new AppError('unauthorized', 'the device was revoked');
    const { last, storeId } = device;
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
    const batch = fresh.map((m) => ({ m, parsed: parsed.get(m.seq) ?? parseMutation(m) }));
    const { outcomes, quarantined } = mode.oneByOne
      ? await applyOneByOne(tx, options.deviceId, options.scope, batch, receivedAt)
      : await applyTogether(tx, options.deviceId, options.scope, batch, receivedAt, mode.movementIds);
    // Every fresh link is recorded, whatever became of its document: the chain is the till's record.
    const journalBreaks =
      options.orgId === undefined
        ? []
        : await recordJournal(
            tx,
            {
              orgId: options.orgId,
              branchCode: options.scope.branchCode,
              storeId,
              deviceId: options.deviceId,
            },
            batch,
            receivedAt,
          );
    for (const [seq, result] of outcomes) results.set(seq, result);
    for (const { m, rejection } of quarantined) results.set(m.seq, rejectedResult(m, rejection));
    const lastAppliedSeq = fresh.at(-1)?.seq ?? last;
    await recordApplied(tx, options.deviceId, lastAppliedSeq, receivedAt);
    return {
      ok: true,
      results: options.mutations.map((m) => results.get(m.seq)!),
      lastAppliedSeq,
      journalBreaks,
    };
  });
}

/** A quarantined mutation's result; a refund awaiting its original is `held`, not refused. */
const rejectedResult = (m: Mutation, rejection: Rejection): MutationResult => ({
  seq: m.seq,
  id: m.id,
  status: rejection.code === 'awaiting_original' ? 'held' : 'rejected',
  code: rejection.code,
  message: printable(rejection.reason),
});

type Applied = { outcomes: Map<number, MutationResult>; quarantined: Quarantined[] };

async function applyTogether(
  tx: SqlQueryable,
  deviceId: string,
  scope: DeviceScope,
  batch: readonly ParsedMutation[],
  receivedAt: string,
  movementIds: ApplyMutationsOptions['movementIds'],
): Promise<Applied> {
  const applied = await applyMutations(tx, deviceId, scope, batch, receivedAt, {
    checkSeries: true,
    ...(movementIds ? { movementIds } : {}),
  });
  await quarantine(tx, deviceId, applied.quarantined, receivedAt);
  return applied;
}

/**
 * Each mutation under its own savepoint: one the database refuses is rolled back alone and
 * quarantined with its SQLSTATE. A failure worth retrying still fails the whole batch.
 */
async function applyOneByOne(
  tx: SqlQueryable,
  deviceId: string,
  scope: DeviceScope,
  batch: readonly ParsedMutation[],
  receivedAt: string,
): Promise<Applied> {
  const outcomes = new Map<number, MutationResult>();
  const quarantined: Quarantined[] = [];
  const seen = new Set<string>();
  for (const item of batch) {
    let one: Applied;
    if (seen.has(item.m.id)) {
      const rejection: Rejection = {
        code: 'invalid_payload',
        reason: `mutation id ${printable(item.m.id)} appears twice in the batch`,
      };
      one = { outcomes: new Map(), quarantined: [{ m: item.m, rejection }] };
    } else {
      seen.add(item.m.id);
      await tx.exec('SAVEPOINT mutation');
      try {
        one = await applyMutations(tx, deviceId, scope, [item], receivedAt, { checkSeries: true });
        await tx.exec('RELEASE SAVEPOINT mutation');
      } catch (err) {
        await tx.exec('ROLLBACK TO SAVEPOINT mutation');
        if (err instanceof AppError || isRetryableFailure(err)) throw err;
        one = { outcomes: new Map(), quarantined: [{ m: item.m, rejection: databaseRefusal(err) }] };
      }
    }
    await quarantine(tx, deviceId, one.quarantined, receivedAt);
    for (const [seq, result] of one.outcomes) outcomes.set(seq, result);
    quarantined.push(...one.quarantined);
  }
  return { outcomes, quarantined };
}

export interface ApplyMutationsOptions {
  /**
   * Hold each receipt number to its terminal's series (a push). A quarantined mutation replayed by
   * HQ, or a held refund released, was numbered long ago and is not held to it again.
   */
  checkSeries: boolean;
  /** A push's stock movement ids, not looked up before they are written (write-sales.ts says how). */
  movementIds?: 'assumed new';
}

/**
 * Validates and applies mutations whose seq is already settled (fresh ones of a batch, one
 * quarantined mutation replayed, a held refund released): each checked, the terminals of those
 * that pass claimed and checked, the valid ones written with one statement per table; refunds held for the sales just stored are
 * released. Returns the results of those written and the ones refused, not yet quarantined.
 */
export async function applyMutations(
  tx: SqlQueryable,
  deviceId: string,
  scope: DeviceScope,
  parsed: readonly ParsedMutation[],
  receivedAt: string,
  options: ApplyMutationsOptions,
): Promise<Applied> {
  const outcomes = new Map<number, MutationResult>();
  const quarantined: Quarantined[] = [];
  const ids = new Set<string>();
  const bySeq = new Map(parsed.map((p) => [p.m.seq, p.m]));
  const passed: ValidMutation[] = [];
  for (const { m, parsed: p } of parsed) {
    const rejection: Rejection | undefined =
      'code' in p
        ? p
        : ids.has(m.id)
          ? { code: 'invalid_payload', reason: `mutation id ${printable(m.id)} appears twice in the batch` }
          : check(p, scope);
    if (rejection) quarantined.push({ m, rejection });
    else {
      ids.add(m.id);
      passed.push(p as ValidMutation);
    }
  }
  // Only documents that passed every other check claim their terminals: a refused one claims nothing.
  const named = passed.flatMap((p) => terminalOf(p) ?? []);
  const owned = await claimTerminals(tx, deviceId, named, receivedAt);
  const valid = passed.filter((p) => {
    const terminal = terminalOf(p);
    const rejection = terminal === undefined ? undefined : checkTerminal(terminal, owned);
    if (rejection) quarantined.push({ m: bySeq.get(p.seq)!, rejection });
    return rejection === undefined;
  });
  const storedSales: string[] = [];
  await applyValid(tx, valid, deviceId, receivedAt, options, (m, outcome) => {
    if (typeof outcome === 'object') quarantined.push({ m: bySeq.get(m.seq)!, rejection: outcome });
    else {
      outcomes.set(m.seq, { seq: m.seq, id: m.id, status: outcome });
      if (m.kind === 'sale' && outcome === 'applied') storedSales.push(m.doc.id);
    }
  });
  await releaseHeldRefunds(tx, storedSales, receivedAt, async (heldDeviceId, held) => {
    const heldScope = heldDeviceId === deviceId ? scope : await deviceScope(tx, heldDeviceId);
    const one = await applyMutations(tx, heldDeviceId, heldScope, [parsedMutation(held)], receivedAt, {
      checkSeries: false,
    });
    const rejection = one.quarantined[0]?.rejection;
    return rejection ?? (one.outcomes.get(held.seq)?.status === 'applied' ? 'applied' : 'duplicate');
  });
  return { outcomes, quarantined };
}

function check(m: ValidMutation, scope: DeviceScope): Rejection | undefined {
  if (m.kind === 'sale' || m.kind === 'refund') return checkSaleDocument(m.doc, scope);
  if (m.kind === 'shift_open' || m.kind === 'cashier_event') return checkShift(m.doc, scope);
  if (isStockKind(m.kind)) return checkStock(m.doc as { branch: string }, scope);
  return undefined;
}
