// What the cashier API answers when it refuses something: a documented code and its HTTP status.
// Store functions return these as values (a cashier's mistake is not an exception); the app's one
// error handler turns them, and anything thrown, into {"error":{"code","message","details"}}.
import type { DomainErrorCode, Outcome } from '../src/domain/outcome.ts';

export const edgeErrorStatus = {
  // Refusals of the domain rules (src/domain/outcome.ts documents each).
  unknown_product: 404,
  no_price: 409,
  invalid_line: 400,
  wrong_currency: 400,
  payment_short: 400,
  change_not_cash: 400,
  unknown_line: 400,
  refund_exceeds_sold: 409,
  refund_payment_mismatch: 400,
  amount_too_large: 400,
  /** The body is malformed JSON or fails the payload schema. */
  invalid_input: 400,
  /** No sale (or refund) with that id on this edge. */
  sale_not_found: 404,
  /** No shift with that id on this edge. */
  shift_not_found: 404,
  /** A transfer names a branch this edge's catalog does not have. */
  unknown_branch: 404,
  /** No such route. */
  not_found: 404,
  /** The shift is already closed: no more cash movements, no second close. */
  shift_closed: 409,
  /** The terminal already has an open shift; close it first. */
  shift_already_open: 409,
  /**
   * The shift has recorded as much money as one shift may (float + sales + refunds + cash movements,
   * src/domain/bounds.ts MAX_SHIFT_TURNOVER_MINOR): close it and open another. Nothing was written.
   */
  shift_turnover_exceeded: 409,
  /** The terminal's clock reads outside 2000–2100 (src/domain/bounds.ts): set it; nothing was written. */
  clock_out_of_range: 503,
  /** The id was already used for a different kind of document (a refund's id sent as a sale, …). */
  id_conflict: 409,
  /**
   * The sale was recorded at another till, this edge holds no copy of it, and the cloud cannot be
   * reached (or did not answer in time) to fetch it: try again online. Nothing was written.
   */
  original_unavailable: 409,
  /** Refunds reference sales, never other refunds. */
  not_refundable: 409,
  /** The edge has not learned the tenant's currency yet (no catalog pull, no --currency) and the sale names none. */
  currency_unknown: 409,
  /** No `Authorization: Bearer …` cashier session on a route that needs one (docs/edge.md#cashier-sessions). */
  cashier_session_required: 401,
  /** The session token is unknown here, signed out, ended by its shift's close, expired (12 h), or its user was deactivated. */
  cashier_session_invalid: 401,
  /** The cashier code or the PIN is wrong (which one is not said); the failure is counted. */
  cashier_pin_wrong: 401,
  /** Five PINs in a row failed for this code at this edge: locked until `details.lockedUntil` (5 minutes). */
  cashier_locked: 429,
  /** The document names another terminal (or shift of another terminal) than the session's. */
  terminal_mismatch: 403,
  /** A manager's approval is needed (`details.reasons`): send `approval: {code, pin}`. Nothing was written. */
  approval_required: 403,
  /** The approving code and PIN are right but belong to a user who may not approve (a cashier). */
  approval_not_allowed: 403,
  /** The request body is over the limit. */
  too_large: 413,
  /** Another process held the store's write lock past the busy timeout; retry. */
  store_busy: 503,
  /** A bug: logged with its stack, answered without it. */
  internal_error: 500,
} as const satisfies Record<DomainErrorCode, number> & Record<string, number>;

export type EdgeErrorCode = keyof typeof edgeErrorStatus;

export interface EdgeRefusal {
  code: EdgeErrorCode;
  message: string;
  details?: unknown;
}

export type EdgeOutcome<T> = Outcome<T, EdgeRefusal>;

export { ok as accept } from '../src/domain/outcome.ts';
export const refuseWith = (code: EdgeErrorCode, message: string, details?: unknown): EdgeOutcome<never> => ({
  ok: false,
  error: details === undefined ? { code, message } : { code, message, details },
});
