// Cashier sessions (docs/edge.md#cashier-sessions): a code and PIN, checked offline against the
// pulled PIN hashes, open a session on one terminal. It lasts until sign-out, the close of a shift on
// its terminal, a new sign-in at its terminal, its user's deactivation, or 12 hours. The token is
// random (192 bits) and only its SHA-256 is stored: this edge's file never holds a usable token, and
// no other edge nor the cloud knows it.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';
import type { TillUser } from './actor.ts';
import type { EmitCashierEvent } from './cashier-events.ts';
import { clockRefusal } from './clock.ts';
import type { PinAttempt, PinCheck } from './pin-check.ts';

export const SESSION_MS = 12 * 60 * 60 * 1000;
/** Cashier session tokens start with this, so a leaked one is recognisable. */
export const SESSION_TOKEN_PREFIX = 'mpc_';

export interface CashierSession {
  id: string;
  terminal: string;
  startedAt: string;
  expiresAt: string;
  user: TillUser;
}

export interface SignedIn {
  token: string;
  expiresAt: string;
  user: TillUser;
  terminal: string;
}

export type SessionEnd = 'signed_out' | 'shift_closed' | 'replaced';

export interface CashierSessions {
  signIn(attempt: PinAttempt): Promise<EdgeOutcome<SignedIn>>;
  /** The session a bearer token names, if it is valid now. */
  find(token: string): EdgeOutcome<CashierSession>;
  signOut(token: string): EdgeOutcome<{ id: string; endedAt: string }>;
  /** Ends every open session of a terminal (inside the caller's transaction). */
  endAtTerminal(terminal: string, at: string, reason: SessionEnd): void;
}

interface Deps {
  sqlite: Database.Database;
  transaction: <T>(fn: () => T) => T;
  now: () => Date;
  pins: PinCheck;
  emit: EmitCashierEvent;
}

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

const invalid = () =>
  refuseWith(
    'cashier_session_invalid',
    'this cashier session is not valid at this till (signed out, ended by its shift, expired or unknown): sign in again',
  );

export function createCashierSessions({ sqlite, transaction, now, pins, emit }: Deps): CashierSessions {
  const insert = sqlite.prepare(
    'INSERT INTO cashier_sessions (id, token_hash, user_id, terminal, started_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const byToken = sqlite.prepare(
    `SELECT s.id, s.terminal, s.started_at AS startedAt, s.expires_at AS expiresAt,
            u.id AS userId, u.name, u.role_id AS role
       FROM cashier_sessions s JOIN users u ON u.id = s.user_id
      WHERE s.token_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? AND u.active = 1`,
  );
  const openAt = sqlite.prepare(
    'SELECT id, user_id AS userId FROM cashier_sessions WHERE terminal = ? AND ended_at IS NULL AND expires_at > ?',
  );
  const end = sqlite.prepare(
    'UPDATE cashier_sessions SET ended_at = ?, end_reason = ? WHERE terminal = ? AND ended_at IS NULL',
  );
  const endOne = sqlite.prepare('UPDATE cashier_sessions SET ended_at = ?, end_reason = ? WHERE id = ?');

  const find = (token: string, at: Date): EdgeOutcome<CashierSession> => {
    if (!token.startsWith(SESSION_TOKEN_PREFIX)) return invalid();
    const row = byToken.get(hashOf(token), at.toISOString()) as
      | {
          id: string;
          terminal: string;
          startedAt: string;
          expiresAt: string;
          userId: string;
          name: string;
          role: string;
        }
      | undefined;
    if (!row) return invalid();
    const { userId, name, role, ...session } = row;
    return accept({ ...session, user: { id: userId, name, role } });
  };

  const endAtTerminal = (terminal: string, at: string, reason: SessionEnd) => {
    const open = openAt.all(terminal, at) as { id: string; userId: string }[];
    for (const s of open) {
      emit({ event: 'signed_out', terminal, userId: s.userId, sessionId: s.id, detail: reason }, at);
    }
    end.run(at, reason, terminal);
  };

  return {
    signIn: (attempt) =>
      pins.check(attempt, 'sign_in', (user, at) => {
        const startedAt = at.toISOString();
        // One cashier at a time per terminal: whoever was signed in there is signed out.
        endAtTerminal(attempt.terminal, startedAt, 'replaced');
        const token = `${SESSION_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
        const id = randomUUID();
        const expiresAt = new Date(at.getTime() + SESSION_MS).toISOString();
        insert.run(id, hashOf(token), user.id, attempt.terminal, startedAt, expiresAt);
        emit({ event: 'signed_in', terminal: attempt.terminal, userId: user.id, sessionId: id }, startedAt);
        return accept({ token, expiresAt, user, terminal: attempt.terminal });
      }),
    find: (token) => find(token, now()),
    signOut: (token) =>
      transaction(() => {
        const at = now();
        const wrongClock = clockRefusal(at);
        if (wrongClock) return wrongClock;
        const session = find(token, at);
        if (!session.ok) return session;
        const endedAt = at.toISOString();
        endOne.run(endedAt, 'signed_out', session.value.id);
        emit(
          {
            event: 'signed_out',
            terminal: session.value.terminal,
            userId: session.value.user.id,
            sessionId: session.value.id,
            detail: 'signed_out',
          },
          endedAt,
        );
        return accept({ id: session.value.id, endedAt });
      }),
    endAtTerminal,
  };
}
