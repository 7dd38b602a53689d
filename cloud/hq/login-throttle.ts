// Slows repeated failed logins (SPEC §6, docs/security.md): after a few failures for the same org and
// email, each further attempt waits longer before its password is even checked, up to a ceiling; a
// success clears it. One attempt per org and email is checked at a time: the others are refused
// (429) while it runs, so guesses sent at once cannot bypass the wait. Kept in memory per cloud
// process, which bounds guessing per process; a shared store would bound it across processes.

export interface LoginThrottleOptions {
  /** Failures answered at full speed before the delays start. */
  freeFailures?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Failures older than this are forgotten. */
  windowMs?: number;
  /** Most org-and-email keys remembered at once (memory bound). */
  maxKeys?: number;
  now?: () => number;
}

/** An attempt allowed to check its password, after waiting `delayMs`; end it exactly once. */
export interface LoginAttempt {
  ok: true;
  delayMs: number;
  failed(): void;
  succeeded(): void;
  /** Neither (the check itself could not run): the attempt counts for nothing. */
  abandoned(): void;
}

/** An attempt refused before any check: `busy` (another attempt of this key is being checked) or `full`. */
export interface LoginRefusal {
  ok: false;
  reason: 'busy' | 'full';
  retryAfterMs: number;
}

export interface LoginThrottle {
  begin(key: string): LoginAttempt | LoginRefusal;
  /** The wait the next attempt of `key` would get (for tests and metrics). */
  delayFor(key: string): number;
  /** Keys remembered now. */
  size(): number;
}

interface Entry {
  count: number;
  last: number;
  /** An attempt of this key is being checked. */
  busy: boolean;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const {
    freeFailures = 3,
    baseDelayMs = 250,
    maxDelayMs = 5000,
    windowMs = 15 * 60_000,
    maxKeys = 10_000,
  } = options;
  const now = options.now ?? Date.now;
  /** Oldest failure first: a failure re-inserts its key. */
  const entries = new Map<string, Entry>();
  const expired = (e: Entry) => !e.busy && now() - e.last > windowMs;
  const delayOf = (count: number) =>
    count < freeFailures ? 0 : Math.min(maxDelayMs, baseDelayMs * 2 ** (count - freeFailures));
  const current = (key: string) => {
    const entry = entries.get(key);
    if (entry && expired(entry)) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  /**
   * Room for one more key. Never forgets a key that is being slowed down: expired keys go first, then
   * the oldest key not yet slowed (it loses fewer than `freeFailures` failures, and pushing it out
   * took `maxKeys` other attempts). If every key is slowed down, there is no room.
   */
  const makeRoom = (): boolean => {
    if (entries.size < maxKeys) return true;
    for (const [key, e] of entries) if (expired(e)) entries.delete(key);
    if (entries.size < maxKeys) return true;
    for (const [key, e] of entries) {
      if (!e.busy && delayOf(e.count) === 0) {
        entries.delete(key);
        return true;
      }
    }
    return false;
  };

  return {
    begin(key) {
      let entry = current(key);
      if (entry?.busy) {
        return { ok: false, reason: 'busy', retryAfterMs: Math.max(1000, delayOf(entry.count)) };
      }
      if (!entry) {
        if (!makeRoom()) {
          const oldest = entries.values().next().value as Entry;
          return { ok: false, reason: 'full', retryAfterMs: Math.max(1000, oldest.last + windowMs - now()) };
        }
        entry = { count: 0, last: now(), busy: false };
        entries.set(key, entry);
      }
      const held = entry;
      held.busy = true;
      let ended = false;
      const end = (outcome: 'failed' | 'succeeded' | 'abandoned') => {
        if (ended) return;
        ended = true;
        held.busy = false;
        if (outcome === 'succeeded' || (outcome === 'abandoned' && held.count === 0)) {
          entries.delete(key);
        } else if (outcome === 'failed') {
          held.count++;
          held.last = now();
          entries.delete(key);
          entries.set(key, held);
        }
      };
      return {
        ok: true,
        delayMs: delayOf(held.count),
        failed: () => end('failed'),
        succeeded: () => end('succeeded'),
        abandoned: () => end('abandoned'),
      };
    },
    delayFor: (key) => delayOf(current(key)?.count ?? 0),
    size: () => entries.size,
  };
}
