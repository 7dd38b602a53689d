-- Stock beyond sales (docs/stock.md): goods received, adjustments, counts and transfers, written by
-- tills (pushed mutations) and by HQ, and a reorder level per branch and product. Expand only: new
-- tables, nullable columns and indexes; code of the release before ignores all of them.

-- A stock document as it was recorded, whole (`payload`, the wire document), with the device and seq
-- that carried it (null when HQ wrote it), so a resend is told from another document by id and seq.
CREATE TABLE stock_documents (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('stock_receipt', 'stock_adjustment', 'stock_count', 'stock_transfer')),
  branch_code TEXT NOT NULL,
  to_branch_code TEXT,
  device_id TEXT,
  device_seq BIGINT,
  actor TEXT,
  occurred_at TIMESTAMPTZ NOT NULL,
  received_at TIMESTAMPTZ NOT NULL,
  payload TEXT NOT NULL
);

CREATE INDEX stock_documents_branch ON stock_documents (branch_code, occurred_at);

-- Each ledger row gains: the device that recorded it (an edge pulls its branch's rows but its own);
-- its place in its branch's ledger (branch_seq, the edge's pull cursor; cursors are handed out under
-- a lock on the branch's row of stock_branch_cursors, so they commit in order); what a count found;
-- what one unit cost on a goods receipt.
ALTER TABLE stock_movements ADD COLUMN device_id TEXT;
ALTER TABLE stock_movements ADD COLUMN branch_seq BIGINT;
ALTER TABLE stock_movements ADD COLUMN counted_qty_milli BIGINT;
ALTER TABLE stock_movements ADD COLUMN unit_cost_minor BIGINT;

-- On hand follows occurredAt: the rows of a branch and product are read in (occurred_at, branch_seq)
-- order (rows of one instant in the order they reached the ledger).
CREATE INDEX stock_movements_order ON stock_movements (branch_code, product_id, occurred_at, branch_seq);
CREATE INDEX stock_movements_branch_seq ON stock_movements (branch_code, branch_seq);

CREATE TABLE stock_branch_cursors (
  branch_code TEXT PRIMARY KEY,
  cursor BIGINT NOT NULL
);

-- The ledger so far takes its places in occurredAt order, so edges pull it whole from cursor 0.
UPDATE stock_movements m SET branch_seq = o.n
  FROM (SELECT id, row_number() OVER (PARTITION BY branch_code ORDER BY occurred_at, id) AS n FROM stock_movements) o
 WHERE o.id = m.id;
INSERT INTO stock_branch_cursors (branch_code, cursor)
SELECT branch_code, max(branch_seq) FROM stock_movements GROUP BY branch_code;

-- Below this level, a product is low on stock at the branch (the inventory report's lowStock).
CREATE TABLE reorder_levels (
  branch_code TEXT NOT NULL,
  product_id TEXT NOT NULL,
  level_milli BIGINT NOT NULL CHECK (level_milli >= 0),
  updated_at TIMESTAMPTZ NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (branch_code, product_id)
);
