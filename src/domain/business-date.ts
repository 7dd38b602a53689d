// Instants are stored in UTC; each branch has an IANA time zone, and reports group by the branch's
// local business date: a sale at 23:30 in Lisbon belongs to that Lisbon day, whatever the UTC date.

/** Whether `timeZone` is an IANA time zone this runtime knows (Europe/Berlin, America/New_York…). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

// A memo of immutable formatters, not state: building one costs ~100 µs, using one ~7 µs, and the
// edge dates every sale.
const formats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date (YYYY-MM-DD) at `instant` in `timeZone`. */
export function businessDate(instant: Date, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
    formats.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}
