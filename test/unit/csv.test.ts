// CSV as HQ downloads it: RFC 4180 quoting, and text a spreadsheet would run as a formula defused.
import { describe, expect, it } from 'vitest';
import { toCsv } from '../../cloud/reports/csv.ts';

describe('toCsv', () => {
  it('writes a header and rows with CRLF, quoting what needs it', () => {
    expect(
      toCsv(
        ['name', 'qty', 'ok', 'note'],
        [
          { name: 'Tea, green', qty: 2, ok: true, note: null },
          { name: 'Say "hi"', qty: -3, ok: false, note: 'two\nlines' },
        ],
      ),
    ).toBe('name,qty,ok,note\r\n"Tea, green",2,true,\r\n"Say ""hi""",-3,false,"two\nlines"\r\n');
  });

  it('defuses text that starts like a formula, never numbers', () => {
    const csv = toCsv(
      ['a', 'b'],
      [
        { a: '=HYPERLINK("http://x")', b: -5 },
        { a: '+1', b: 0 },
        { a: '@SUM(A1)', b: 1 },
      ],
    );
    expect(csv.split('\r\n').slice(1, 4)).toEqual([
      '"\'=HYPERLINK(""http://x"")",-5',
      "'+1,0",
      "'@SUM(A1),1",
    ]);
  });
});
