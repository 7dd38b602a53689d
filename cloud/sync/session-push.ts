// The push handler: a batch applied in the tenant's database (apply-batch.ts), timed for the
// metrics, then acknowledged, answered with a seq gap, or refused on a seq conflict.
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Push } from '../../src/protocol/messages.ts';
import { applyBatch } from './apply-batch.ts';
import { errorReply, type HandlerResult, ok, refused } from './handler-result.ts';
import { heldAsRejected } from './held-as-rejected.ts';
import type { ParsedMutation } from './parsed-mutation.ts';
import { Refusal } from './refusal.ts';
import { type SessionDeps, sessionClock } from './session-deps.ts';
import { type SessionState, whenReady } from './session-state.ts';

export function handlePush(
  state: SessionState,
  message: Push,
  deps: SessionDeps,
  payloads: ReadonlyMap<number, ParsedMutation['parsed']> | undefined,
): Promise<HandlerResult> {
  const { limits } = deps;
  return whenReady(state, undefined, async (session) => {
    if (message.mutations.length > limits.maxBatchMutations) {
      return ok(
        errorReply('batch_too_large', `a push carries at most ${limits.maxBatchMutations} mutations`, {
          details: { maxBatchMutations: limits.maxBatchMutations },
        }),
      );
    }
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const outcome = await deps.resolver
      .withTenant(session.orgId, (db) =>
        applyBatch(db, {
          deviceId: session.deviceId,
          orgId: session.orgId,
          scope: { branchCode: session.branchCode, currency: session.currency },
          mutations: message.mutations,
          ...(payloads ? { parsed: payloads } : {}),
          now: sessionClock(deps),
        }),
      )
      .catch((err: unknown) => {
        deps.observer?.batch(session.orgId, seconds(), 'failed');
        throw err;
      });
    deps.observer?.batch(
      session.orgId,
      seconds(),
      outcome.ok ? 'applied' : outcome.code,
      outcome.ok ? outcome.results.map((r) => r.status) : undefined,
    );
    if (outcome.ok)
      for (const b of outcome.journalBreaks) deps.observer?.journalBreak(session.orgId, b.reason);
    deps.observer?.deviceSeen(session.orgId, session.deviceId);
    state.lastSeenWritten = Date.now(); // the batch's transaction wrote it
    if (outcome.ok) {
      // The batch's transaction also moved `last_sync_at`: the ack is what the device syncs by.
      deps.observer?.deviceSynced(session.orgId, session.deviceId, false);
      const results = heldAsRejected(outcome.results, session.protocolVersion);
      return ok({ type: 'ack', results, lastAppliedSeq: outcome.lastAppliedSeq });
    }
    if (outcome.code === 'seq_gap') {
      return ok(errorReply('seq_gap', outcome.message, { details: { expectedSeq: outcome.expectedSeq } }));
    }
    return refused(new Refusal('seq_conflict', outcome.message, closeCodes.unauthorized));
  });
}
