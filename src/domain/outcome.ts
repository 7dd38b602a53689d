// Domain rules answer with values: a result or a documented rejection, never an exception for
// something a cashier can cause.

/** Why a sale or refund was refused: what the edge answers (edge/errors.ts gives each its HTTP status). */
export const domainErrorCodes = {
  unknown_product: { meaning: 'A line names a product the catalog does not have (edge: 404).' },
  no_price: {
    meaning:
      'A catalog line names a product with no price for this branch yet and gives no unitPriceMinor (edge: 409).',
  },
  invalid_line: { meaning: "A line's numbers do not add up (a discount larger than the line)." },
  wrong_currency: { meaning: "The sale names a currency other than the tenant's." },
  payment_short: { meaning: 'Payments do not cover the total.' },
  change_not_cash: { meaning: 'Change would be given from a card, voucher or other non-cash tender.' },
  unknown_line: { meaning: 'A refund names a line the original sale does not have.' },
  refund_exceeds_sold: { meaning: 'A refund would take back more than was sold, counting earlier refunds.' },
  refund_payment_mismatch: {
    meaning: 'A refund pays back a different amount than the refunded lines total.',
  },
  amount_too_large: {
    meaning: 'An amount beyond 2^53 minor units: no real sale, so refused rather than rounded.',
  },
} as const satisfies Record<string, { meaning: string }>;

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
