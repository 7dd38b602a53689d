import { describe, expect, it } from 'vitest';
import { businessDate } from '../../src/domain/business-date.ts';

describe('business dates are branch-local', () => {
  it('puts a sale at 23:30 local time on that local day', () => {
    // 23:30 in New York on 1 March is 04:30 UTC on 2 March.
    expect(businessDate(new Date('2026-03-02T04:30:00Z'), 'America/New_York')).toBe('2026-03-01');
    // 00:30 in Tokyo on 2 March is 15:30 UTC on 1 March.
    expect(businessDate(new Date('2026-03-01T15:30:00Z'), 'Asia/Tokyo')).toBe('2026-03-02');
    expect(businessDate(new Date('2026-03-01T23:30:00Z'), 'UTC')).toBe('2026-03-01');
  });

  it('follows daylight-saving changes', () => {
    // Lisbon is UTC+1 in summer: 23:30 local on 30 June is 22:30 UTC.
    expect(businessDate(new Date('2026-06-30T22:30:00Z'), 'Europe/Lisbon')).toBe('2026-06-30');
    expect(businessDate(new Date('2026-06-30T23:30:00Z'), 'Europe/Lisbon')).toBe('2026-07-01');
  });

  it('dates every minute around local midnights as Intl does for the zone', () => {
    // Quarter-hour offsets (Kathmandu +5:45, Chatham +12:45/+13:45), a daylight-saving night, and an
    // odd historical offset (Monrovia −0:44:30 before 1972), each minute checked against Intl directly.
    const cases: [string, string][] = [
      ['Asia/Kathmandu', '2026-03-01T18:00:00Z'],
      ['Pacific/Chatham', '2026-04-04T10:00:00Z'],
      ['America/New_York', '2026-11-01T03:30:00Z'],
      ['Africa/Monrovia', '1971-06-01T00:15:00Z'],
      ['Europe/Lisbon', '1969-12-31T23:00:00Z'],
    ];
    for (const [timeZone, from] of cases) {
      const direct = new Intl.DateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      });
      for (let minute = 0; minute < 120; minute++) {
        const at = new Date(Date.parse(from) + minute * 60_000 + 17_000);
        expect(businessDate(at, timeZone), `${timeZone} ${at.toISOString()}`).toBe(direct.format(at));
      }
    }
  });
});
