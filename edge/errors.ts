// What the cashier API answers when it refuses something: a documented code and its HTTP status.
// Store functions return these as values (a cashier's mistake is not an exception); the app's one
// error handler turns them, and anything thrown, into {"error":{"code","message","details"}}.
import { type DomainErrorCode, domainErrorCodes, type Outcome } from '../src/domain/outcome.ts';

export interface EdgeErrorInfo {
  status: number;
  meaning: string;
}

export const edgeErrors = {
  unknown_product: { status: 404, meaning: domainErrorCodes.unknown_product.meaning },
  no_price: { status: 409, meaning: domainErrorCodes.no_price.meaning },
  invalid_line: { status: 400, meaning: domainErrorCodes.invalid_line.meaning },
  wrong_currency: { status: 400, meaning: domainErrorCodes.wrong_currency.meaning },
  payment_short: { status: 400, meaning: domainErrorCodes.payment_short.meaning },
  change_not_cash: { status: 400, meaning: domainErrorCodes.change_not_cash.meaning },
  unknown_line: { status: 400, meaning: domainErrorCodes.unknown_line.meaning },
  refund_exceeds_sold: { status: 409, meaning: domainErrorCodes.refund_exceeds_sold.meaning },
  refund_payment_mismatch: { status: 400, meaning: domainErrorCodes.refund_payment_mismatch.meaning },
  amount_too_large: { status: 400, meaning: domainErrorCodes.amount_too_large.meaning },
  invalid_input: { status: 400, meaning: 'The body is malformed JSON or fails the payload schema.' },
  sale_not_found: { status: 404, meaning: 'No sale (or refund) with that id on this edge.' },
  shift_not_found: { status: 404, meaning: 'No shift with that id on this edge.' },
  unknown_branch: { status: 404, meaning: "A transfer names a branch this edge's catalog does not have." },
  not_found: { status: 404, meaning: 'No such route.' },
  shift_closed: {
    status: 409,
    meaning: 'The shift is already closed: no more cash movements, no second close.',
  },
  shift_already_open: { status: 409, meaning: 'The terminal already has an open shift; close it first.' },
  shift_turnover_exceeded: {
    status: 409,
    meaning:
      'The shift has recorded as much money as one shift may (float + sales + refunds + cash movements, src/domain/bounds.ts MAX_SHIFT_TURNOVER_MINOR): close it and open another. Nothing was written.',
  },
  clock_out_of_range: {
    status: 503,
    meaning:
      "The terminal's clock reads outside 2000–2100 (src/domain/bounds.ts): set it; nothing was written.",
  },
  id_conflict: {
    status: 409,
    meaning: "The id was already used for a different kind of document (a refund's id sent as a sale, …).",
  },
  original_unavailable: {
    status: 409,
    meaning:
      'The sale was recorded at another till, this edge holds no copy of it, and the cloud cannot be reached (or did not answer in time) to fetch it: try again online. Nothing was written.',
  },
  not_refundable: { status: 409, meaning: 'Refunds reference sales, never other refunds.' },
  currency_unknown: {
    status: 409,
    meaning:
      "The edge has not learned the tenant's currency yet (no catalog pull, no --currency) and the sale names none.",
  },
  cashier_session_required: {
    status: 401,
    meaning:
      'No `Authorization: Bearer …` cashier session on a route that needs one (docs/edge.md#cashier-sessions).',
  },
  cashier_session_invalid: {
    status: 401,
    meaning:
      "The session token is unknown here, signed out, ended by its shift's close, expired (12 h), or its user was deactivated.",
  },
  cashier_pin_wrong: {
    status: 401,
    meaning: 'The cashier code or the PIN is wrong (which one is not said); the failure is counted.',
  },
  cashier_locked: {
    status: 429,
    meaning:
      'Five PINs in a row failed for this code at this edge: locked until `details.lockedUntil` (5 minutes).',
  },
  terminal_mismatch: {
    status: 403,
    meaning: "The document names another terminal (or shift of another terminal) than the session's.",
  },
  approval_required: {
    status: 403,
    meaning:
      "A manager's approval is needed (`details.reasons`): send `approval: {code, pin}`. Nothing was written.",
  },
  approval_not_allowed: {
    status: 403,
    meaning: 'The approving code and PIN are right but belong to a user who may not approve (a cashier).',
  },
  too_large: { status: 413, meaning: 'The request body is over the limit.' },
  store_busy: {
    status: 503,
    meaning: "Another process held the store's write lock past the busy timeout; retry.",
  },
  internal_error: { status: 500, meaning: 'A bug: logged with its stack, answered without it.' },
} as const satisfies Record<DomainErrorCode, EdgeErrorInfo> & Record<string, EdgeErrorInfo>;

export type EdgeErrorCode = keyof typeof edgeErrors;

/** The HTTP status the cashier API answers a refusal with. */
export const edgeErrorStatus = (code: EdgeErrorCode): number => edgeErrors[code].status;

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
