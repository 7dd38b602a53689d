-- How far on hand has summed (SQLite variant of 0014_stock_on_hand_latest.pg.sql, which says why).
-- The edge's triggers (0010) keep on hand in their own order and never read these: the columns
-- stay empty here and exist so both engines have the same tables. Nullable, no default: expand-only.
ALTER TABLE stock_on_hand ADD COLUMN max_occurred_at TEXT;
ALTER TABLE stock_on_hand ADD COLUMN max_branch_seq INTEGER;
