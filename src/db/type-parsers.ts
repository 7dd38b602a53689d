// How values come back from Postgres and PGlite, the same on both and the same as on the edge:
// instants as ISO-8601 UTC strings ("2026-03-02T04:30:00.123Z"), calendar dates as "YYYY-MM-DD",
// 64-bit integers as numbers (money and counts stay below 2^53). Never a Date in the process's
// local time zone.

/** Postgres type oids of the types parsed here. */
export const TYPE_OIDS = { int8: 20, date: 1082, timestamptz: 1184 } as const;

const PG_INSTANT = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::?(\d\d))?$/;

/** A timestamptz in Postgres' text form ("2026-03-02 04:30:00.123456+00") as an ISO UTC string. */
export function parseInstant(value: string): string {
  const m = PG_INSTANT.exec(value);
  const date = m ? new Date(`${m[1]}T${m[2]}${m[3]}:${m[4] ?? '00'}`) : new Date(value);
  if (Number.isNaN(date.getTime())) return value; // infinity and the like: pass through unchanged
  return date.toISOString();
}

export const typeParsers: Record<number, (value: string) => unknown> = {
  [TYPE_OIDS.int8]: (v) => Number(v),
  [TYPE_OIDS.date]: (v) => v,
  [TYPE_OIDS.timestamptz]: parseInstant,
};
