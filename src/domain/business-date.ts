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

/** The calendar date (YYYY-MM-DD) at `instant` in `timeZone`. */
export function businessDate(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}
