// The login throttle's bounds: one attempt per org and email checked at a time, and a memory cap that
// never forgets a key it is slowing down, whatever number of other keys arrive.
import { describe, expect, it } from 'vitest';
import { createLoginThrottle, type LoginAttempt } from '../../cloud/hq/login-throttle.ts';

const allowed = (result: ReturnType<ReturnType<typeof createLoginThrottle>['begin']>): LoginAttempt => {
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result;
};

describe('login throttle bounds', () => {
  it('refuses a second attempt of the same key while the first is being checked, not other keys', () => {
    const t = createLoginThrottle({ freeFailures: 1, baseDelayMs: 3000 });
    const first = allowed(t.begin('org\u0000a@x'));
    expect(first.delayMs).toBe(0);
    expect(t.begin('org\u0000a@x')).toEqual({ ok: false, reason: 'busy', retryAfterMs: 1000 });
    allowed(t.begin('org\u0000b@x')).abandoned();
    first.failed();
    // The next attempt is allowed again, and waits for its failure; while it waits, the key is busy.
    const second = allowed(t.begin('org\u0000a@x'));
    expect(second.delayMs).toBe(3000);
    expect(t.begin('org\u0000a@x')).toEqual({ ok: false, reason: 'busy', retryAfterMs: 3000 });
    second.succeeded();
    expect(t.delayFor('org\u0000a@x')).toBe(0);
  });

  it('with a cap of 3 keys, evicts expired or not-yet-slowed keys, never a slowed one, and refuses new keys when every key is slowed', () => {
    let clock = 0;
    const t = createLoginThrottle({
      freeFailures: 2,
      baseDelayMs: 100,
      windowMs: 1000,
      maxKeys: 3,
      now: () => clock,
    });
    const fail = (key: string, times: number) => {
      for (let i = 0; i < times; i++) allowed(t.begin(key)).failed();
    };
    fail('victim', 2); // slowed: its next attempt waits
    fail('bystander', 1); // one failure: not slowed yet
    fail('flood-0', 2);
    expect(t.size()).toBe(3);
    expect(t.delayFor('victim')).toBe(100);

    // A new key while full pushes out the only key that is not slowed, never the victim.
    fail('flood-1', 2);
    expect(t.size()).toBe(3);
    expect(t.delayFor('victim')).toBe(100);
    expect(t.delayFor('bystander')).toBe(0);

    // Every key is slowed now: any number of new keys is refused, and the victim stays slowed.
    for (let i = 2; i < 50; i++) {
      expect(t.begin(`flood-${i}`)).toMatchObject({ ok: false, reason: 'full' });
    }
    expect(t.delayFor('victim')).toBe(100);
    const retry = allowed(t.begin('victim'));
    expect(retry.delayMs).toBe(100);
    retry.abandoned();

    // Once the window has passed, expired keys make room again.
    clock = 5000;
    allowed(t.begin('newcomer')).failed();
    expect(t.size()).toBe(1);
    expect(t.delayFor('victim')).toBe(0);
  });
});
