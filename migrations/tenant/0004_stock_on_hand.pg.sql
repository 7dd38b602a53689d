-- Stock on hand per branch and product, kept by the database as movements are inserted, so the
-- cloud flags a sale taking stock below zero with one key lookup instead of summing the whole
-- ledger on every push. The ledger (stock_movements) stays the truth; this is its running sum.
CREATE TABLE stock_on_hand (
  branch_code TEXT NOT NULL,
  product_id TEXT NOT NULL,
  qty_milli BIGINT NOT NULL,
  PRIMARY KEY (branch_code, product_id)
);

INSERT INTO stock_on_hand (branch_code, product_id, qty_milli)
SELECT branch_code, product_id, sum(delta_qty_milli) FROM stock_movements GROUP BY branch_code, product_id;

-- One upsert per statement (the movements of a whole pushed batch), not one per row, in key order:
-- two batches touching the same products take their row locks in the same order, never a deadlock.
CREATE FUNCTION stock_on_hand_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stock_on_hand AS s (branch_code, product_id, qty_milli)
  SELECT branch_code, product_id, sum(delta_qty_milli) FROM inserted GROUP BY branch_code, product_id
  ORDER BY branch_code, product_id
  ON CONFLICT (branch_code, product_id) DO UPDATE SET qty_milli = s.qty_milli + excluded.qty_milli;
  RETURN NULL;
END
$$;

CREATE TRIGGER stock_movements_on_hand AFTER INSERT ON stock_movements
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION stock_on_hand_add();
