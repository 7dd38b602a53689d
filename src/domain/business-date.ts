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

function formatted(instant: number, timeZone: string): string {
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

// Every zone's offset today is a whole number of quarter hours, and so are the instants it changes:
// within one UTC quarter hour the date does not change. Each zone remembers the last quarter hour
// it dated, once both ends of it were seen to fall on that date (an odd historical offset whose
// midnight falls inside a quarter is then dated exactly, each time, without the memo).
const QUARTER_HOUR_MS = 15 * 60 * 1000;
const lastQuarter = new Map<string, { start: number; date: string }>();

/** The calendar date (YYYY-MM-DD) at `instant` in `timeZone`. */
export function businessDate(instant: Date, timeZone: string): string {
  const ms = instant.getTime();
  const past = ms % QUARTER_HOUR_MS; // negative before 1970
  const start = ms - (past < 0 ? past + QUARTER_HOUR_MS : past);
  const known = lastQuarter.get(timeZone);
  if (known !== undefined && known.start === start) return known.date;
  const date = formatted(ms, timeZone);
  if (formatted(start, timeZone) === date && formatted(start + QUARTER_HOUR_MS - 1, timeZone) === date) {
    lastQuarter.set(timeZone, { start, date });
  }
  return date;
}
