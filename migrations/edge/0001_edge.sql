-- Edge-only tables (SQLite, STRICT), applied after the tenant migrations to an edge's local store.
-- The outbox seq is assigned from local_sequences, never from the rowid: pruning acknowledged rows
-- must not let a number be used twice.

-- Every local mutation, in a per-device gapless sequence, until the cloud acknowledges it.
CREATE TABLE outbox (
  seq INTEGER NOT NULL PRIMARY KEY,
  mutation_id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at TEXT NOT NULL,
  acked_at TEXT,
  result TEXT
) STRICT;

CREATE INDEX outbox_unacked ON outbox (seq) WHERE acked_at IS NULL;

-- Where this edge's catalog pull stands (one row).
CREATE TABLE pull_state (
  id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
  cursor INTEGER NOT NULL,
  pulled_at TEXT
) STRICT;

-- Gapless local counters: receipt series per terminal ("receipt:T1:sale"), outbox seq, …
CREATE TABLE local_sequences (
  name TEXT NOT NULL PRIMARY KEY,
  value INTEGER NOT NULL
) STRICT;

-- What this edge knows about itself: branch code, device id, cloud URL (never the token in clear).
CREATE TABLE edge_meta (
  key TEXT NOT NULL PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
