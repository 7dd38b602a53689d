-- The tamper-evident journal (SQLite variant of 0012_journal.pg.sql, which says why). WITHOUT ROWID:
-- each link is one b-tree entry keyed by its chain and seq, not a row plus a primary-key index.
CREATE TABLE journal_links (
  store_id TEXT NOT NULL,
  branch_code TEXT NOT NULL,
  terminal TEXT NOT NULL,
  journal_seq INTEGER NOT NULL CHECK (journal_seq > 0),
  kind TEXT NOT NULL CHECK (kind IN ('sale', 'refund', 'shift_open', 'cash_movement', 'shift_close')),
  document_id TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  device_id TEXT,
  break_reason TEXT,
  PRIMARY KEY (store_id, terminal, journal_seq)
) WITHOUT ROWID;

CREATE TABLE journal_heads (
  store_id TEXT NOT NULL,
  branch_code TEXT NOT NULL,
  terminal TEXT NOT NULL,
  org_id TEXT NOT NULL,
  last_seq INTEGER NOT NULL CHECK (last_seq >= 0),
  last_hash TEXT NOT NULL,
  started_at TEXT NOT NULL,
  grand_sales_minor INTEGER CHECK (grand_sales_minor >= 0),
  grand_refunds_minor INTEGER CHECK (grand_refunds_minor >= 0),
  grand_tax_minor INTEGER,
  breaks INTEGER NOT NULL DEFAULT 0 CHECK (breaks >= 0),
  PRIMARY KEY (store_id, terminal)
) WITHOUT ROWID;

ALTER TABLE shifts ADD COLUMN seal_grand_sales_minor INTEGER CHECK (seal_grand_sales_minor >= 0);
ALTER TABLE shifts ADD COLUMN seal_grand_refunds_minor INTEGER CHECK (seal_grand_refunds_minor >= 0);
ALTER TABLE shifts ADD COLUMN seal_grand_tax_minor INTEGER;
ALTER TABLE shifts ADD COLUMN seal_last_document_hash TEXT;
