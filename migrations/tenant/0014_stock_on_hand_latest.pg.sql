-- On hand remembers how far it has summed: the latest occurred_at and the highest branch_seq among
-- the movements of its branch and product. A push whose rows of a product all come after both (the
-- usual case: tills push in time order, and a new row's place is always the branch's highest) is
-- settled from what stood before it and its own rows, without reading the ledger again
-- (cloud/sync/stock-order.ts); an earlier row arriving late is walked as before. Null means not
-- known, and is walked too.
-- Expand only: two nullable columns, their backfill and the trigger function replaced. The release
-- before ignores the columns, and the movements it writes keep them right through the trigger.

-- No movement is written while the columns are filled in, so none is summed by the old function
-- after the backfill has read the ledger. Writers wait (none fails) for one pass over the ledger.
LOCK TABLE stock_movements IN SHARE ROW EXCLUSIVE MODE;

ALTER TABLE stock_on_hand ADD COLUMN max_occurred_at TIMESTAMPTZ;
ALTER TABLE stock_on_hand ADD COLUMN max_branch_seq BIGINT;

UPDATE stock_on_hand h SET max_occurred_at = l.at, max_branch_seq = l.seq
  FROM (SELECT branch_code, product_id, max(occurred_at) AS at, max(branch_seq) AS seq
          FROM stock_movements GROUP BY branch_code, product_id) l
 WHERE h.branch_code = l.branch_code AND h.product_id = l.product_id;

-- Still one upsert per statement in key order (0004). The maxima only grow, and a null stays null.
CREATE OR REPLACE FUNCTION stock_on_hand_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stock_on_hand AS s (branch_code, product_id, qty_milli, max_occurred_at, max_branch_seq)
  SELECT branch_code, product_id, sum(delta_qty_milli), max(occurred_at), max(branch_seq)
    FROM inserted GROUP BY branch_code, product_id
  ORDER BY branch_code, product_id
  ON CONFLICT (branch_code, product_id) DO UPDATE SET
    qty_milli = s.qty_milli + excluded.qty_milli,
    max_occurred_at = CASE WHEN s.max_occurred_at IS NOT NULL
      THEN greatest(s.max_occurred_at, excluded.max_occurred_at) END,
    max_branch_seq = CASE WHEN s.max_branch_seq IS NOT NULL
      THEN greatest(s.max_branch_seq, excluded.max_branch_seq) END;
  RETURN NULL;
END
$$;
