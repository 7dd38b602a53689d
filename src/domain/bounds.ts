// Every bound on what crosses a boundary (the edge's cashier API, the sync protocol, the HQ and
// operator routes), in one place, with the zod pieces that enforce them. The bounds are chosen so
// that no sum the product computes can leave the safe-integer range (2^53 − 1) or an int8 column;
// docs/bounds.md shows the arithmetic.
import { z } from 'zod';

/**
 * Any one money field: a unit price, line amount, discount, tax, document total, payment, tendered
 * amount, change, opening float, cash movement or counted amount. 10^12 minor units is ten billion
 * in a two-decimal currency: no real till sees more in one document, and 500 lines of it (5 × 10^14)
 * still sum exactly.
 */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

/**
 * What one shift may record, added up: opening float + every sale and refund total + every cash
 * movement. Every figure of an X or Z report is at most this in magnitude, so 10^15 (a hundred
 * times a year of a busy supermarket's takings in cents) leaves the report's sums ~9× below 2^53.
 */
export const MAX_SHIFT_TURNOVER_MINOR = 1_000_000_000_000_000;

/** A line's quantity in thousandths: a million units (or a thousand tonnes weighed in grams). */
export const MAX_QTY_MILLI = 1_000_000_000;

/**
 * One stock movement's delta in thousandths, either way: a line's quantity at most. An int8 on-hand
 * (9.2 × 10^18) then needs more than 9 × 10^9 movements of the maximum to overflow.
 */
export const MAX_STOCK_DELTA_MILLI = MAX_QTY_MILLI;

/** Lines in one stock document (a goods receipt, adjustment, count or transfer): a delivery note's length. */
export const MAX_STOCK_LINES = 500;

/** A unit cost on a goods receipt, in minor units: any one money field's bound. */
export const MAX_UNIT_COST_MINOR = MAX_AMOUNT_MINOR;

/**
 * A receipt line's value (quantity × unit cost) at most MAX_AMOUNT_MINOR, written in thousandths of
 * a minor unit (qtyMilli × unitCostMinor), so the valuation's sums stay exact (docs/bounds.md).
 */
export const MAX_RECEIPT_LINE_VALUE_MILLI = 1_000_000_000_000_000n;

/** A counted quantity or a reorder level, in thousandths: a line's quantity at most. */
export const MAX_STOCK_LEVEL_MILLI = MAX_QTY_MILLI;

/** A tax rate in basis points: 1,000% covers every real duty (the highest excise rates are a few hundred %). */
export const MAX_TAX_RATE_BP = 100_000;

/** Lines in one sale or refund: a long supermarket receipt has ~200. */
export const MAX_LINES = 500;
/** Payments in one sale or refund: split tenders are a handful. */
export const MAX_PAYMENTS = 20;
/** Stock movements a sale or refund carries: one per catalog line at most. */
export const MAX_DOCUMENT_MOVEMENTS = MAX_LINES;
/** A line number: an `int4` column (a refund line names its sale's line by it). */
export const MAX_LINE_NO = 2_147_483_647;

/** Business dates and instants: a till's clock outside 2000–2100 is wrong, and Postgres refuses year 0. */
export const MIN_YEAR = 2000;
export const MAX_YEAR = 2100;
/** UTC offsets in minutes: real zones span −12:00 to +14:00; Postgres refuses beyond ±15:59. */
export const MAX_UTC_OFFSET_MINUTES = 14 * 60;

/** Text lengths, in UTF-16 code units (what zod's `max` counts). */
export const textLimits = {
  /** Ids: a UUID (36) with room for a prefix. */
  id: 64,
  /** A cashier's name or email, an HQ email: the longest valid email address. */
  person: 254,
  /** Product, branch, user and tenant names. */
  name: 200,
  /** A line's name on a receipt (open-price lines are typed at the till). */
  lineName: 200,
  /** SKUs and barcodes (GTIN-14 and internal codes). */
  sku: 64,
  /** A product category, a tax rate's name. */
  label: 100,
  /** A payment reference (card slip, voucher number). */
  reference: 120,
  /** A refund's, cash movement's or discard's reason, a stock note. */
  reason: 500,
  /** A receipt number: branch and terminal codes (16 each), kind and sequence. */
  receiptNo: 64,
} as const;

/** Characters never accepted in text: C0 controls except tab and line breaks, DEL and C1 controls. */
function isControl(c: number): boolean {
  return (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f);
}

/** Control characters refused, and half a surrogate pair (not UTF-8 encodable: Postgres refuses it in JSON). */
export function textProblem(s: string): string | undefined {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isControl(c)) return 'control characters are not allowed';
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
      else return 'text must be well-formed Unicode';
    } else if (c >= 0xdc00 && c <= 0xdfff) return 'text must be well-formed Unicode';
  }
  return undefined;
}

/** Text a person typed or a system named, at most `max` long: no control characters, well-formed. */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((s, ctx) => {
      const problem = textProblem(s);
      if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    });

/**
 * `s` safe to store and show: control characters and lone surrogates as `\uXXXX` escapes, cut to
 * `max` characters (with `…`). For reasons and messages that quote what a client sent.
 */
export function sanitizeText(s: string, max = 200): string {
  let out = '';
  let i = 0;
  for (; i < s.length && out.length < max; i++) {
    const c = s.charCodeAt(i);
    const next = s.charCodeAt(i + 1);
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += s.slice(i, i + 2);
      i++;
    } else if (isControl(c) || (c >= 0xd800 && c <= 0xdfff)) {
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += s[i];
  }
  return i < s.length ? `${out}…` : out;
}

/**
 * `z.strictObject` whose unknown-key message quotes each key sanitised (zod's own message carries
 * the raw key, NUL included, into answers, logs and the quarantine's reason).
 */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return undefined;
      const keys = issue.keys.slice(0, 5).map((k) => `"${sanitizeText(k, 64)}"`);
      const more = issue.keys.length > 5 ? ` and ${issue.keys.length - 5} more` : '';
      return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${keys.join(', ')}${more}`;
    },
  });
}

/** A money field: whole minor units from 0 to MAX_AMOUNT_MINOR. */
export const amountSchema = z.number().int().min(0).max(MAX_AMOUNT_MINOR);
/** A money field that is more than zero (a payment, a cash movement). */
export const positiveAmountSchema = amountSchema.refine((n) => n > 0, 'an amount more than zero');
/** A line's quantity in thousandths. */
export const qtyMilliSchema = z.number().int().positive().max(MAX_QTY_MILLI);
/**
 * How much of one sale line the tenant's tills have refunded between them, in thousandths: at most
 * what was sold, unless tills refunded the same goods while offline, so only a safe integer.
 */
export const refundedTotalMilliSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** A stock movement's delta in thousandths, either way. */
export const stockDeltaSchema = z.number().int().min(-MAX_STOCK_DELTA_MILLI).max(MAX_STOCK_DELTA_MILLI);
/** A counted quantity or reorder level in thousandths: zero or more. */
export const stockLevelSchema = z.number().int().min(0).max(MAX_STOCK_LEVEL_MILLI);
/** A unit cost in minor units: zero (a free sample) or more. */
export const unitCostSchema = z.number().int().min(0).max(MAX_UNIT_COST_MINOR);
/** A tax rate in basis points. */
export const taxRateBpSchema = z.number().int().min(0).max(MAX_TAX_RATE_BP);

const yearInRange = (year: number) => year >= MIN_YEAR && year <= MAX_YEAR;

/** Whether an instant falls in MIN_YEAR–MAX_YEAR (UTC): what a till's clock must read to date a document. */
export const instantInRange = (at: Date): boolean => yearInRange(at.getUTCFullYear());

/** A calendar date (YYYY-MM-DD) in MIN_YEAR–MAX_YEAR. */
export const businessDateSchema = z.iso
  .date()
  .refine((d) => yearInRange(Number(d.slice(0, 4))), `a date in the years ${MIN_YEAR}–${MAX_YEAR}`);

const OFFSET = /(?:Z|([+-])(\d\d):?(\d\d))$/;

/** Minutes east of UTC written at the end of an ISO instant (`Z` is 0). */
function offsetMinutes(instant: string): number {
  const m = OFFSET.exec(instant);
  if (!m || m[1] === undefined) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** An ISO 8601 instant with its offset: the offset within ±14:00, the UTC instant in MIN_YEAR–MAX_YEAR. */
export const instantSchema = z.iso.datetime({ offset: true }).superRefine((s, ctx) => {
  if (Math.abs(offsetMinutes(s)) > MAX_UTC_OFFSET_MINUTES) {
    ctx.addIssue({ code: 'custom', message: 'a UTC offset from -14:00 to +14:00' });
    return;
  }
  if (!instantInRange(new Date(s))) {
    ctx.addIssue({ code: 'custom', message: `an instant in the years ${MIN_YEAR}–${MAX_YEAR} (UTC)` });
  }
});
