-- The tamper-evident journal (docs/journal.md): one hash chain per terminal and edge database.
--   journal_links  one row per journaled document (sale, refund, shift open, cash movement, shift
--                  close): its seq in the chain, the previous link's hash and its own. The cloud
--                  records what its check on push found wrong in break_reason (a journal break).
--   journal_heads  each chain's last seq and hash (a chain ending before them was truncated), when
--                  it started (the terminal's earlier documents are pre-journal), the edge's
--                  perpetual grand totals, and how many links the cloud flagged.
-- A shift close's seal goes on its shift. New tables and nullable columns only: expand-only, and the
-- documents recorded before it have no link (pre-journal) rather than an invented one.
CREATE TABLE journal_links (
  store_id TEXT NOT NULL,
  branch_code TEXT NOT NULL,
  terminal TEXT NOT NULL,
  journal_seq BIGINT NOT NULL CHECK (journal_seq > 0),
  kind TEXT NOT NULL CHECK (kind IN ('sale', 'refund', 'shift_open', 'cash_movement', 'shift_close')),
  document_id TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  recorded_at TIMESTAMPTZ NOT NULL,
  device_id TEXT,
  break_reason TEXT,
  PRIMARY KEY (store_id, terminal, journal_seq)
);

CREATE TABLE journal_heads (
  store_id TEXT NOT NULL,
  branch_code TEXT NOT NULL,
  terminal TEXT NOT NULL,
  org_id TEXT NOT NULL,
  last_seq BIGINT NOT NULL CHECK (last_seq >= 0),
  last_hash TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  grand_sales_minor BIGINT CHECK (grand_sales_minor >= 0),
  grand_refunds_minor BIGINT CHECK (grand_refunds_minor >= 0),
  grand_tax_minor BIGINT,
  breaks BIGINT NOT NULL DEFAULT 0 CHECK (breaks >= 0),
  PRIMARY KEY (store_id, terminal)
);

ALTER TABLE shifts
  ADD COLUMN seal_grand_sales_minor BIGINT CHECK (seal_grand_sales_minor >= 0),
  ADD COLUMN seal_grand_refunds_minor BIGINT CHECK (seal_grand_refunds_minor >= 0),
  ADD COLUMN seal_grand_tax_minor BIGINT,
  ADD COLUMN seal_last_document_hash TEXT;
