-- Stock beyond sales (SQLite variant of 0010_stock_ledger.pg.sql, which says why). The edge keeps
-- its branch's on hand from here on: its own movements and the ones it pulls, in occurredAt order,
-- a count setting on hand to what it found (docs/stock.md). Expand only.
CREATE TABLE stock_documents (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('stock_receipt', 'stock_adjustment', 'stock_count', 'stock_transfer')),
  branch_code TEXT NOT NULL,
  to_branch_code TEXT,
  device_id TEXT,
  device_seq INTEGER,
  actor TEXT,
  occurred_at TEXT NOT NULL,
  received_at TEXT NOT NULL,
  payload TEXT NOT NULL
) STRICT;

CREATE INDEX stock_documents_branch ON stock_documents (branch_code, occurred_at);

ALTER TABLE stock_movements ADD COLUMN device_id TEXT;
ALTER TABLE stock_movements ADD COLUMN branch_seq INTEGER;
ALTER TABLE stock_movements ADD COLUMN counted_qty_milli INTEGER;
ALTER TABLE stock_movements ADD COLUMN unit_cost_minor INTEGER;

CREATE INDEX stock_movements_order ON stock_movements (branch_code, product_id, occurred_at, branch_seq);
CREATE INDEX stock_movements_branch_seq ON stock_movements (branch_code, branch_seq);

CREATE TABLE stock_branch_cursors (
  branch_code TEXT PRIMARY KEY,
  cursor INTEGER NOT NULL
) STRICT;

CREATE TABLE reorder_levels (
  branch_code TEXT NOT NULL,
  product_id TEXT NOT NULL,
  level_milli INTEGER NOT NULL CHECK (level_milli >= 0),
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  PRIMARY KEY (branch_code, product_id)
) STRICT;

-- On hand at the edge, kept as rows arrive (in any order): a movement counts unless a count comes
-- after it (a later occurred_at; at one instant, rows count in the order this edge learned them); a
-- count sets on hand to what it found plus what came after it.
-- Movements recorded before this migration have no count after them: their sum is on hand.
INSERT INTO stock_on_hand (branch_code, product_id, qty_milli)
SELECT branch_code, product_id, sum(delta_qty_milli) FROM stock_movements GROUP BY branch_code, product_id;

CREATE TRIGGER stock_movements_on_hand AFTER INSERT ON stock_movements
WHEN NEW.reason <> 'count' AND NOT EXISTS (
  SELECT 1 FROM stock_movements c
   WHERE c.branch_code = NEW.branch_code AND c.product_id = NEW.product_id AND c.reason = 'count'
     AND c.occurred_at > NEW.occurred_at)
BEGIN
  INSERT INTO stock_on_hand (branch_code, product_id, qty_milli)
  VALUES (NEW.branch_code, NEW.product_id, NEW.delta_qty_milli)
  ON CONFLICT (branch_code, product_id) DO UPDATE SET qty_milli = qty_milli + excluded.qty_milli;
END;

CREATE TRIGGER stock_counts_on_hand AFTER INSERT ON stock_movements
WHEN NEW.reason = 'count' AND NOT EXISTS (
  SELECT 1 FROM stock_movements c
   WHERE c.branch_code = NEW.branch_code AND c.product_id = NEW.product_id AND c.reason = 'count'
     AND c.occurred_at > NEW.occurred_at)
BEGIN
  INSERT INTO stock_on_hand (branch_code, product_id, qty_milli)
  VALUES (NEW.branch_code, NEW.product_id, NEW.counted_qty_milli + (
    SELECT coalesce(sum(m.delta_qty_milli), 0) FROM stock_movements m
     WHERE m.branch_code = NEW.branch_code AND m.product_id = NEW.product_id AND m.reason <> 'count'
       AND m.occurred_at > NEW.occurred_at))
  ON CONFLICT (branch_code, product_id) DO UPDATE SET qty_milli = excluded.qty_milli;
END;
