// The cashier session of a request (docs/edge.md#cashier-sessions): `Authorization: Bearer mpc_…`
// from POST /v1/cashier-sessions, checked against this edge's own sessions, and a manager's
// `approval: {code, pin}` checked against the pulled PIN hashes. Under --open-cashier-api a request
// needs no session (one it sends is still checked) and nothing needs approval.
import type { Context } from 'hono';
import { requestHeader } from '../../src/http/node-request.ts';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';
import type { Actor } from '../store/actor.ts';
import { type ApprovalInput, checkApprover } from '../store/approvals.ts';
import type { CashierSession } from '../store/cashier-sessions.ts';
import { clockRefusal } from '../store/clock.ts';
import type { EdgeStore } from '../store/store.ts';

export interface CashierAuth {
  /** The request's session; undefined only in open mode without a token. */
  session(c: Context): EdgeOutcome<CashierSession | undefined>;
  /** Who the request acts as, with the approver checked when the body names one. */
  actor(
    session: CashierSession | undefined,
    terminal: string,
    approval: ApprovalInput | undefined,
  ): Promise<EdgeOutcome<Actor>>;
}

/** The bearer token of a request, or undefined when it sends none. */
export function bearerToken(c: Context): string | undefined {
  const header = requestHeader(c, 'authorization');
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}

export function createCashierAuth(store: EdgeStore, open: boolean): CashierAuth {
  return {
    session(c) {
      // A clock outside 2000–2100 would make every session look expired (or never expiring): the
      // clock is the problem to report, as every write would.
      const wrongClock = clockRefusal(store.now());
      if (wrongClock) return wrongClock;
      const token = bearerToken(c);
      if (token === undefined) {
        return open
          ? accept(undefined)
          : refuseWith(
              'cashier_session_required',
              'sign in first: POST /v1/cashier-sessions {terminal, code, pin}, then send Authorization: Bearer <token>',
            );
      }
      return store.cashierSessions.find(token);
    },
    async actor(session, terminal, approval) {
      let approver: Actor['approver'];
      if (approval !== undefined) {
        const checked = await checkApprover(store.pins, approval, session?.terminal ?? terminal);
        if (!checked.ok) return checked;
        approver = checked.value;
      }
      return accept({
        user: session?.user,
        terminal: session?.terminal,
        approver,
        approvalsRequired: !open,
      });
    },
  };
}
