// Column helpers shared by the Postgres/PGlite tenant tables in src/schema/pg/: how instants,
// business dates and 64-bit integers are typed in this dialect.
import { bigint, date, timestamp } from 'drizzle-orm/pg-core';

export const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' });
/** Minor units, thousandths, sequence numbers: bigint in SQL, a safe-integer number in TypeScript. */
export const int64 = (name: string) => bigint(name, { mode: 'number' });
export const businessDate = (name: string) => date(name, { mode: 'string' });
