// The read handlers: catalog pull, stock pull (protocol 5) and quarantine outcomes (protocol 4),
// each answered only while the device is still active (a revoked device is refused and closed).
import type { SqlDatabase } from '../../src/db/sql.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import {
  MAX_STOCK_PAGE,
  type OutcomesRequest,
  type Pull,
  type StockPull,
} from '../../src/protocol/messages.ts';
import { deviceIsActive } from '../devices/devices.ts';
import { type HandlerResult, ok } from './handler-result.ts';
import { readOutcomes } from './outcomes.ts';
import { readChanges } from './pull.ts';
import { readStockMovements } from './pull-stock.ts';
import { Refusal } from './refusal.ts';
import type { SessionDeps } from './session-deps.ts';
import { type Ready, type SessionState, whenReady } from './session-state.ts';

/** Reads in the tenant's database for a device that is still active. */
function readAsActive<T>(deps: SessionDeps, session: Ready, fn: (db: SqlDatabase) => Promise<T>): Promise<T> {
  return deps.resolver.withTenant(session.orgId, async (db) => {
    if (!(await deviceIsActive(db, session.deviceId))) {
      throw new Refusal('unauthorized', 'the device was revoked', closeCodes.unauthorized);
    }
    return fn(db);
  });
}

export function handlePull(state: SessionState, message: Pull, deps: SessionDeps): Promise<HandlerResult> {
  const { limits } = deps;
  return whenReady(state, undefined, async (session) => {
    const page = await readAsActive(deps, session, (db) =>
      readChanges(db, message.cursor, Math.min(message.limit ?? limits.pullPageSize, limits.pullPageSize)),
    );
    return ok({ type: 'changes', ...page });
  });
}

export function handleStockPull(
  state: SessionState,
  message: StockPull,
  deps: SessionDeps,
): Promise<HandlerResult> {
  return whenReady(state, { version: 5, what: 'stock_pull' }, async (session) => {
    const page = await readAsActive(deps, session, (db) =>
      readStockMovements(
        db,
        session.branchCode,
        session.deviceId,
        message.cursor,
        Math.min(message.limit ?? MAX_STOCK_PAGE, MAX_STOCK_PAGE),
      ),
    );
    return ok({ type: 'stock_changes', ...page });
  });
}

export function handleOutcomes(
  state: SessionState,
  message: OutcomesRequest,
  deps: SessionDeps,
): Promise<HandlerResult> {
  return whenReady(state, { version: 4, what: 'outcomes' }, async (session) => {
    const found = await readAsActive(deps, session, (db) => readOutcomes(db, session.deviceId, message.seqs));
    return ok({ type: 'outcomes', outcomes: found });
  });
}
