// Slows repeated failed logins (SPEC §6): after a few failures for the same org and email, each
// further attempt waits longer before its password is even checked, up to a ceiling; a success
// clears it. Kept in memory per cloud process, which bounds guessing per process; a shared store
// would bound it across processes.

export interface LoginThrottleOptions {
  /** Failures answered at full speed before the delays start. */
  freeFailures?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Failures older than this are forgotten. */
  windowMs?: number;
  now?: () => number;
}

export interface LoginThrottle {
  /** How long to wait before checking this attempt. */
  delayFor(key: string): number;
  failed(key: string): void;
  succeeded(key: string): void;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const { freeFailures = 3, baseDelayMs = 250, maxDelayMs = 5000, windowMs = 15 * 60_000 } = options;
  const now = options.now ?? Date.now;
  const failures = new Map<string, { count: number; last: number }>();
  const current = (key: string) => {
    const entry = failures.get(key);
    if (entry && now() - entry.last > windowMs) {
      failures.delete(key);
      return undefined;
    }
    return entry;
  };
  return {
    delayFor(key) {
      const count = current(key)?.count ?? 0;
      if (count < freeFailures) return 0;
      return Math.min(maxDelayMs, baseDelayMs * 2 ** (count - freeFailures));
    },
    failed(key) {
      const entry = current(key) ?? { count: 0, last: 0 };
      failures.set(key, { count: entry.count + 1, last: now() });
      // Bounded memory: a flood of distinct keys forgets the oldest.
      if (failures.size > 10_000) failures.delete(failures.keys().next().value!);
    },
    succeeded(key) {
      failures.delete(key);
    },
  };
}
