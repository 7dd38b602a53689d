-- Cashier sessions and the PIN throttle (edge only, SQLite STRICT; docs/edge.md#cashier-sessions).
-- A session's token is kept only as its SHA-256: the file never holds a usable token.

CREATE TABLE cashier_sessions (
  id TEXT NOT NULL PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL,
  terminal TEXT NOT NULL,
  started_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  -- Set once the session ends: signed_out, shift_closed, replaced (another sign-in at its terminal).
  ended_at TEXT,
  end_reason TEXT
) STRICT;

CREATE INDEX cashier_sessions_open ON cashier_sessions (terminal) WHERE ended_at IS NULL;

-- Failed PINs per cashier code at this edge: 5 in a row lock the code for 5 minutes (a restart keeps it).
CREATE TABLE pin_failures (
  code TEXT NOT NULL PRIMARY KEY,
  failures INTEGER NOT NULL,
  locked_until TEXT
) STRICT;
