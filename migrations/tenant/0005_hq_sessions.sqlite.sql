-- HQ sessions (SQLite variant of 0005_hq_sessions.pg.sql). HQ logs in to the cloud only: the table
-- stays empty on the edge and exists so both engines have the same tables.
CREATE TABLE hq_sessions (
  token_hash TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id),
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT
) STRICT;

CREATE INDEX hq_sessions_user ON hq_sessions (user_id);
