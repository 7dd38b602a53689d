// What the device row keeps of a reported backlog (cloud/devices/last-seen.ts): the wire leaves the
// count and the age unbounded above, the row does not (an INTEGER, a date at most ten years back).
import { describe, expect, it } from 'vitest';
import {
  MAX_STORED_BACKLOG,
  MAX_STORED_BACKLOG_AGE_SECONDS,
  storedBacklog,
} from '../../cloud/devices/last-seen.ts';

const AT = new Date('2026-06-01T12:00:00.000Z');

describe('a reported backlog as the device row keeps it', () => {
  it('dates the oldest pending mutation by the reported age, from when the cloud heard it', () => {
    expect(storedBacklog({ pending: 3, oldestPendingAgeSeconds: 600 }, AT)).toEqual({
      pending: 3,
      oldestAt: '2026-06-01T11:50:00.000Z',
    });
  });

  it('keeps no oldest instant with nothing pending', () => {
    expect(storedBacklog({ pending: 0, oldestPendingAgeSeconds: null }, AT)).toEqual({
      pending: 0,
      oldestAt: null,
    });
    expect(storedBacklog({ pending: 0, oldestPendingAgeSeconds: 5 }, AT)).toEqual({
      pending: 0,
      oldestAt: null,
    });
  });

  it('clamps an absurd count and an absurd age', () => {
    const stored = storedBacklog({ pending: 5_000_000_000, oldestPendingAgeSeconds: 1e300 }, AT);
    expect(stored.pending).toBe(MAX_STORED_BACKLOG);
    expect(Date.parse(stored.oldestAt!)).toBe(AT.getTime() - MAX_STORED_BACKLOG_AGE_SECONDS * 1000);
  });
});
