-- Stock on hand per branch and product (SQLite variant of 0004_stock_on_hand.pg.sql). The edge sees
-- only its own movements, so it keeps no running sum: on hand is the cloud's figure, and this table
-- stays empty here (it exists so both engines have the same tables).
CREATE TABLE stock_on_hand (
  branch_code TEXT NOT NULL,
  product_id TEXT NOT NULL,
  qty_milli INTEGER NOT NULL,
  PRIMARY KEY (branch_code, product_id)
) STRICT;
