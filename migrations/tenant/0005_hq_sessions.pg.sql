-- HQ sessions: an opaque bearer token per login, stored only as its SHA-256, with an expiry; logout
-- revokes it.
CREATE TABLE hq_sessions (
  token_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id),
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL,
  revoked_at TIMESTAMPTZ
);

CREATE INDEX hq_sessions_user ON hq_sessions (user_id);
