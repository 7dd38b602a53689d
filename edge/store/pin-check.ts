// Checking a cashier code and PIN against the PIN hashes pulled from the cloud, offline, with the
// throttle: 5 failures in a row lock that code at this edge for 5 minutes (kept in pin_failures, so
// a restart does not unlock it). scrypt runs off the event loop, outside any transaction; the outcome
// (a failure counted, a lock, a success clearing the count) is recorded in one transaction after it.
import type Database from 'better-sqlite3';
import { hashSecret, verifySecret } from '../../src/secret-hash.ts';
import { type EdgeOutcome, refuseWith } from '../errors.ts';
import type { TillUser } from './actor.ts';
import type { EmitCashierEvent } from './cashier-events.ts';
import { clockRefusal } from './clock.ts';

export const LOCK_AFTER_FAILURES = 5;
export const LOCK_MS = 5 * 60 * 1000;

export interface PinAttempt {
  code: string;
  pin: string;
  terminal: string;
}

/** What the PIN was typed for (the failure event says so). */
export type PinPurpose = 'sign_in' | 'approval';

export interface PinCheck {
  /**
   * Verifies the attempt; on success runs `then` with the user inside the recording transaction
   * (its outcome is the answer), on failure counts it and refuses `cashier_pin_wrong` or `cashier_locked`.
   */
  check<T>(
    attempt: PinAttempt,
    purpose: PinPurpose,
    then: (user: TillUser, at: Date) => EdgeOutcome<T>,
  ): Promise<EdgeOutcome<T>>;
}

interface Deps {
  sqlite: Database.Database;
  transaction: <T>(fn: () => T) => T;
  now: () => Date;
  emit: EmitCashierEvent;
}

/** A hash no PIN matches, checked for an unknown code so that its answer takes as long as a known one's. */
let decoy: Promise<string> | undefined;

export function createPinCheck({ sqlite, transaction, now, emit }: Deps): PinCheck {
  const userByCode = sqlite.prepare(
    `SELECT id, name, role_id AS role, pin_hash AS pinHash FROM users
      WHERE code = ? AND active = 1 AND pin_hash IS NOT NULL`,
  );
  const failuresOf = sqlite.prepare(
    'SELECT failures, locked_until AS lockedUntil FROM pin_failures WHERE code = ?',
  );
  const saveFailures = sqlite.prepare(
    `INSERT INTO pin_failures (code, failures, locked_until) VALUES (?, ?, ?)
     ON CONFLICT (code) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until`,
  );
  const clearFailures = sqlite.prepare('DELETE FROM pin_failures WHERE code = ?');

  const lockRefusal = (code: string, at: Date): EdgeOutcome<never> | undefined => {
    const row = failuresOf.get(code) as { failures: number; lockedUntil: string | null } | undefined;
    if (!row?.lockedUntil || row.lockedUntil <= at.toISOString()) return undefined;
    return refuseWith(
      'cashier_locked',
      `too many wrong PINs for code ${code}: locked at this till until ${row.lockedUntil}`,
      { lockedUntil: row.lockedUntil },
    );
  };

  return {
    async check(attempt, purpose, then) {
      const early = lockRefusal(attempt.code, now());
      if (early) return early;
      const user = userByCode.get(attempt.code) as (TillUser & { pinHash: string }) | undefined;
      decoy ??= hashSecret('decoy PIN that is never a PIN');
      const right = await verifySecret(attempt.pin, user?.pinHash ?? (await decoy));
      return transaction(() => {
        const at = now();
        const wrongClock = clockRefusal(at);
        if (wrongClock) return wrongClock;
        // Locked meanwhile by another attempt: even the right PIN waits.
        const locked = lockRefusal(attempt.code, at);
        if (locked) return locked;
        if (user && right) {
          clearFailures.run(attempt.code);
          return then({ id: user.id, name: user.name, role: user.role }, at);
        }
        const stamp = at.toISOString();
        const row = failuresOf.get(attempt.code) as { failures: number } | undefined;
        const failures = (row?.failures ?? 0) + 1;
        const base = { terminal: attempt.terminal, userId: user?.id ?? null, code: attempt.code };
        emit({ ...base, event: 'pin_failed', detail: purpose }, stamp);
        if (failures < LOCK_AFTER_FAILURES) {
          saveFailures.run(attempt.code, failures, null);
          return refuseWith('cashier_pin_wrong', 'the cashier code or the PIN is wrong', {
            attemptsLeft: LOCK_AFTER_FAILURES - failures,
          });
        }
        const lockedUntil = new Date(at.getTime() + LOCK_MS).toISOString();
        saveFailures.run(attempt.code, 0, lockedUntil);
        emit({ ...base, event: 'locked', detail: `until ${lockedUntil}` }, stamp);
        return refuseWith(
          'cashier_locked',
          `the cashier code or the PIN is wrong; ${LOCK_AFTER_FAILURES} wrong PINs lock code ${attempt.code} at this till until ${lockedUntil}`,
          { lockedUntil },
        );
      });
    },
  };
}
