// Reports as CSV (RFC 4180): a header row, then one row per record, CRLF line ends. Text that a
// spreadsheet would run as a formula (=, +, -, @, tab, CR at its start) is prefixed with a quote,
// because product names and reasons are typed by people; numbers are written as they are.
export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

function cell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv(columns: readonly string[], rows: readonly object[]): string {
  const lines = [columns.map(cell).join(',')];
  for (const row of rows) {
    const values = row as Record<string, CsvValue>;
    lines.push(columns.map((c) => cell(values[c])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
