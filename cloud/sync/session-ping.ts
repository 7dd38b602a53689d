// The ping handler: the device is seen (and synced when its outbox is empty), its `last_seen_at`
// and reported backlog written at most every `lastSeenEveryMs` (an idle till's write gathered with
// its tenant's others, last-seen-batches.ts), and a pong answered whatever the tenant database says.
import type { Backlog, Up } from '../../src/protocol/messages.ts';
import { touchDevice } from '../devices/last-seen.ts';
import { type HandlerResult, ok } from './handler-result.ts';
import { type SessionDeps, sessionClock } from './session-deps.ts';
import type { Ready, SessionState } from './session-state.ts';

type Ping = Extract<Up, { type: 'ping' }>;

/**
 * An idle till that pings is in touch even with nothing to push: its `last_seen_at` moves on at
 * most once a minute, so heartbeats do not become writes. A ping reporting an empty outbox also
 * moves `last_sync_at` and `outbox_empty_at`: everything that till recorded is here. The backlog a
 * ping reports goes in the same write. A push's transaction writes `last_seen_at` but knows no
 * backlog, so while pushes keep the last-seen throttle shut a ping with a backlog still writes,
 * once every `lastSeenEveryMs` at most: one write per device and period either way.
 */
async function touchLastSeen(
  state: SessionState,
  deps: SessionDeps,
  session: Ready,
  backlog?: Backlog,
): Promise<void> {
  const now = Date.now();
  const every = deps.limits.lastSeenEveryMs;
  const seenDue = now - state.lastSeenWritten >= every;
  const backlogDue = backlog !== undefined && now - state.backlogWritten >= every;
  if (!seenDue && !backlogDue) return;
  state.lastSeenWritten = now;
  if (backlog !== undefined) state.backlogWritten = now;
  // An idle till's write is gathered with its tenant's others (last-seen-batches.ts); the pong does not wait.
  if (deps.lastSeen && (backlog === undefined || backlog.pending === 0)) {
    deps.lastSeen.touch(session.orgId, session.deviceId, sessionClock(deps)(), backlog);
    return;
  }
  // A heartbeat is answered whatever the tenant database says; pushes report its troubles.
  await deps.resolver
    .withTenant(session.orgId, (db) => touchDevice(db, session.deviceId, sessionClock(deps)(), backlog))
    .catch((err: unknown) => state.log.debug({ err }, 'sync: last seen not written'));
}

export async function handlePing(
  state: SessionState,
  message: Ping,
  deps: SessionDeps,
): Promise<HandlerResult> {
  const { ready } = state;
  if (ready) {
    deps.observer?.deviceSeen(ready.orgId, ready.deviceId, message.backlog);
    if (message.backlog?.pending === 0) deps.observer?.deviceSynced(ready.orgId, ready.deviceId, true);
    await touchLastSeen(state, deps, ready, message.backlog);
  }
  return ok({ type: 'pong', ...(message.at === undefined ? {} : { at: message.at }) });
}
