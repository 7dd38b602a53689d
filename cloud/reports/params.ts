// What a report may be asked (SPEC §10): a period of branch-local business dates (`from`/`to`,
// inclusive), a branch, and per report a grouping, a limit or a threshold. Unknown parameters are
// refused, so a typo never silently widens a report. Without a period, the last 30 days up to today
// in the tenant's time zone.
import { z } from 'zod';
import { businessDate } from '../../src/domain/business-date.ts';
import { codeSchema, strictObject } from '../../src/domain/payloads.ts';
import { AppError } from '../../src/errors.ts';

/** The longest period one report covers: a year and a day, so this year compares with the last. */
export const MAX_PERIOD_DAYS = 366;
export const DEFAULT_PERIOD_DAYS = 30;

/** A calendar date a report can mean: 1970 to 2999 (beyond, date arithmetic leaves YYYY-MM-DD). */
const isoDate = z.iso
  .date('a date as YYYY-MM-DD')
  .refine((d) => d >= '1970-01-01' && d <= '2999-12-31', 'a date from 1970-01-01 to 2999-12-31');
const count = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^\d{1,6}$/, 'a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .default(fallback);

const branchOnly = { branch: codeSchema.optional() };
const period = { ...branchOnly, from: isoDate.optional(), to: isoDate.optional() };

export const reportQueries = {
  sales: strictObject({ ...period, groupBy: z.enum(['day', 'branch', 'hour', 'cashier']).default('day') }),
  topProducts: strictObject({ ...period, limit: count(100, 10) }),
  payments: strictObject(period),
  tax: strictObject(period),
  refunds: strictObject({ ...period, limit: count(10_000, 1000) }),
  /**
   * On hand now. Low stock is at or below the product's reorder level at the branch, or below
   * `lowStockMilli` thousandths (default 5 units) where none is set, and not below zero. `from`/`to`
   * limit the movements by kind; `view=movements` makes the CSV those movements.
   */
  inventory: strictObject({
    ...branchOnly,
    from: isoDate.optional(),
    to: isoDate.optional(),
    view: z.enum(['stock', 'movements']).default('stock'),
    lowStockMilli: z
      .string()
      .regex(/^\d{1,12}$/, 'a whole number of thousandths')
      .transform(Number)
      .default(5000),
  }),
  z: strictObject(period),
  freshness: strictObject(branchOnly),
  /** Flagged documents per flag, branch and business date. */
  flags: strictObject(period),
  /** GET /v1/sales-overview: the dashboard's Sales view (sales, top products, payments, refunds, flags). */
  salesOverview: strictObject(period),
} as const;

export interface Period {
  from: string;
  to: string;
  branch: string | null;
}

const DAY_MS = 86_400_000;
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
export const addDays = (date: string, days: number) =>
  new Date((dayNumber(date) + days) * DAY_MS).toISOString().slice(0, 10);

/** The dates of a period, in order. */
export function datesOf(p: Pick<Period, 'from' | 'to'>): string[] {
  const n = dayNumber(p.to) - dayNumber(p.from) + 1;
  return Array.from({ length: n }, (_, i) => addDays(p.from, i));
}

/** A period with its defaults filled in and checked: from ≤ to, at most MAX_PERIOD_DAYS long. */
export function resolvePeriod(
  q: { from?: string | undefined; to?: string | undefined; branch?: string | undefined },
  today: { now: Date; timeZone: string },
): Period {
  const to =
    q.to ?? (q.from ? addDays(q.from, DEFAULT_PERIOD_DAYS - 1) : businessDate(today.now, today.timeZone));
  const from = q.from ?? addDays(to, -(DEFAULT_PERIOD_DAYS - 1));
  const days = dayNumber(to) - dayNumber(from) + 1;
  if (days < 1) throw new AppError('invalid_input', `from (${from}) is after to (${to})`);
  if (days > MAX_PERIOD_DAYS) {
    throw new AppError(
      'invalid_input',
      `a report covers at most ${MAX_PERIOD_DAYS} days; ${from}..${to} is ${days}`,
    );
  }
  return { from, to, branch: q.branch ?? null };
}
