-- On hand's latest instant (SQLite variant of 0014_stock_on_hand_latest_instant.pg.sql, which says
-- why). The edge's triggers (0010) keep on hand in their own order and never read it: the column stays
-- empty here and exists so both engines have the same tables. Nullable, no default: expand-only.
ALTER TABLE stock_on_hand ADD COLUMN max_occurred_at TEXT;
