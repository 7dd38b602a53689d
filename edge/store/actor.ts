// Who a request to the cashier API acts as: the signed-in user of a cashier session, the terminal the
// session is for, and a manager who approved what needs approving (docs/edge.md#cashier-sessions).
// Store functions take it as an optional argument: without one (store-level callers, and the HTTP
// layer under --open-cashier-api) the body's free-text cashier is used and nothing needs approval.
import { type EdgeOutcome, refuseWith } from '../errors.ts';

/** A user as a session or an approval names them. */
export interface TillUser {
  id: string;
  name: string;
  role: string;
}

export interface Actor {
  /** The signed-in user; undefined under --open-cashier-api. */
  user?: TillUser | undefined;
  /** The session's terminal: a document for another terminal is refused `terminal_mismatch`. */
  terminal?: string | undefined;
  /** A manager whose PIN was checked for this request. */
  approver?: TillUser | undefined;
  /** Whether refunds over the limit, price overrides and no-sales need an approver (false in open mode). */
  approvalsRequired: boolean;
}

/** Roles whose PIN approves, and whose own session needs no second PIN. */
export const APPROVER_ROLES: readonly string[] = ['manager', 'owner'];

/** The approver of a request: the one given, or the signed-in user when they may approve. */
export function approverOf(actor: Actor | undefined): TillUser | undefined {
  if (actor?.approver) return actor.approver;
  return actor?.user && APPROVER_ROLES.includes(actor.user.role) ? actor.user : undefined;
}

/** The document names another terminal than the session's. */
export const terminalRefusal = (
  actor: Actor | undefined,
  terminal: string,
): EdgeOutcome<never> | undefined =>
  actor?.terminal !== undefined && actor.terminal !== terminal
    ? refuseWith(
        'terminal_mismatch',
        `this cashier session is for terminal ${actor.terminal}, not ${terminal}: sign in at ${terminal}`,
        { sessionTerminal: actor.terminal },
      )
    : undefined;
