// Domain rules answer with values: a result or a documented rejection, never an exception for
// something a cashier can cause.

/** Why a sale or refund was refused. Each code is what the edge answers and sync quarantines with. */
export const domainErrorCodes = {
  /** A line names a product the catalog does not have (edge: 404). */
  unknown_product: 'unknown_product',
  /** A catalog line names a product with no price for this branch yet and gives no unitPriceMinor (edge: 409). */
  no_price: 'no_price',
  /** A line's numbers do not add up (a discount larger than the line). */
  invalid_line: 'invalid_line',
  /** The sale names a currency other than the tenant's. */
  wrong_currency: 'wrong_currency',
  /** Payments do not cover the total. */
  payment_short: 'payment_short',
  /** Change would be given from a card, voucher or other non-cash tender. */
  change_not_cash: 'change_not_cash',
  /** A refund names a line the original sale does not have. */
  unknown_line: 'unknown_line',
  /** A refund would take back more than was sold, counting earlier refunds. */
  refund_exceeds_sold: 'refund_exceeds_sold',
  /** A refund pays back a different amount than the refunded lines total. */
  refund_payment_mismatch: 'refund_payment_mismatch',
  /** An amount beyond 2^53 minor units: no real sale, so refused rather than rounded. */
  amount_too_large: 'amount_too_large',
} as const;

export type DomainErrorCode = keyof typeof domainErrorCodes;

export interface DomainError {
  code: DomainErrorCode;
  message: string;
  details?: unknown;
}

/** A result or a documented refusal; `E` is the refusal's shape (the edge widens the codes). */
export type Outcome<T, E = DomainError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
export const refuse = (code: DomainErrorCode, message: string, details?: unknown): Outcome<never> => ({
  ok: false,
  error: details === undefined ? { code, message } : { code, message, details },
});
