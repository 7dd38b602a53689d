// The connection's push: a batch applied in the tenant's database (apply-batch.ts), timed for the
// metrics, then acknowledged, answered with a seq gap, or refused on a seq conflict.
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Push } from '../../src/protocol/messages.ts';
import { applyBatch, type ParsedMutation } from './apply-batch.ts';
import type { Connection } from './connection.ts';
import { heldAsRejected } from './held-as-rejected.ts';
import { Refusal } from './refusal.ts';

export async function handlePush(
  conn: Connection,
  message: Push,
  payloads: ReadonlyMap<number, ParsedMutation['parsed']> | undefined,
): Promise<void> {
  const { deps, limits, now } = conn;
  if (!conn.ready) throw new Refusal('unexpected_message', 'send hello first', closeCodes.protocolError);
  if (message.mutations.length > limits.maxBatchMutations) {
    conn.sendError('batch_too_large', `a push carries at most ${limits.maxBatchMutations} mutations`, {
      details: { maxBatchMutations: limits.maxBatchMutations },
    });
    return;
  }
  const session = conn.ready;
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const outcome = await conn
    .withTenant(session.orgId, (db) =>
      applyBatch(db, {
        deviceId: session.deviceId,
        scope: { branchCode: session.branchCode, currency: session.currency },
        mutations: message.mutations,
        ...(payloads ? { parsed: payloads } : {}),
        now,
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
  deps.observer?.deviceSeen(session.orgId, session.deviceId);
  conn.lastSeenWritten = Date.now(); // the batch's transaction wrote it
  if (outcome.ok) {
    // The batch's transaction also moved `last_sync_at`: the ack is what the device syncs by.
    deps.observer?.deviceSynced(session.orgId, session.deviceId, false);
    const results = heldAsRejected(outcome.results, session.protocolVersion);
    conn.send({ type: 'ack', results, lastAppliedSeq: outcome.lastAppliedSeq });
  } else if (outcome.code === 'seq_gap') {
    conn.sendError('seq_gap', outcome.message, { details: { expectedSeq: outcome.expectedSeq } });
  } else throw new Refusal('seq_conflict', outcome.message, closeCodes.unauthorized);
}
