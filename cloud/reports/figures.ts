// Report figures are summed where they cannot overflow (Postgres `numeric`, JavaScript bigint) and
// answered as exact JSON numbers. A figure beyond 2^53 − 1 cannot be one: the report is then refused
// with `report_out_of_range` (409), never a 500 and never a rounded amount. The bounds on what a
// till may push (src/domain/bounds.ts) keep honest data ~9× below that over a year (docs/bounds.md);
// only a device pushing data far beyond them can reach it, and a narrower period or branch still reports.
import { driverErrorCode } from '../../src/db/driver-errors.ts';
import { MoneyError } from '../../src/domain/money.ts';
import { AppError } from '../../src/errors.ts';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

export function outOfRange(what: string): AppError {
  return new AppError(
    'report_out_of_range',
    `${what} is beyond 2^53 − 1 and cannot be answered exactly; ask for a shorter period or one branch`,
    { figure: what },
  );
}

/** A summed figure (Postgres numeric as text, a bigint, or a number) as an exact number. */
export function exact(value: string | number | bigint | null | undefined, what: string): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === 'bigint' ? value : BigInt(value);
  if (n > MAX || n < -MAX) throw outOfRange(what);
  return Number(n);
}

/**
 * Runs a report, turning an overflow that slipped past the sums above (money.ts refusing a sum,
 * Postgres 22003 on a cast) into `report_out_of_range` rather than a 500.
 */
export async function refuseOverflow<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof MoneyError) throw outOfRange('a figure of this report');
    if (driverErrorCode(err) === '22003') throw outOfRange('a figure of this report');
    throw err;
  }
}
