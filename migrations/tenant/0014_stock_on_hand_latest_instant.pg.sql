-- On hand remembers the latest occurred_at among the movements it has summed. A new ledger row always
-- takes its branch's highest place (branch_seq), so a push whose rows of a product are all at or
-- after that instant (the usual case: tills push in time order) comes after everything summed, and is
-- settled from what stood before it and its own rows without reading the ledger again
-- (cloud/sync/stock-order.ts); an earlier row arriving late is walked as before.
-- Null means not known: that product is walked, and the walk fills the instant in from the ledger
-- under the branch's ledger lock. Existing rows start null rather than being filled in here: a
-- backfill could miss a movement whose trigger call began under the function replaced below, and
-- would lock the ledger's writers for a pass over it.
-- Expand only: a nullable column and the trigger function replaced. The release before ignores the
-- column, and the movements it writes keep it right through the trigger.
ALTER TABLE stock_on_hand ADD COLUMN max_occurred_at TIMESTAMPTZ;

-- Still one upsert per statement in key order (0004). The instant only grows, and a null stays null.
CREATE OR REPLACE FUNCTION stock_on_hand_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stock_on_hand AS s (branch_code, product_id, qty_milli, max_occurred_at)
  SELECT branch_code, product_id, sum(delta_qty_milli), max(occurred_at)
    FROM inserted GROUP BY branch_code, product_id
  ORDER BY branch_code, product_id
  ON CONFLICT (branch_code, product_id) DO UPDATE SET
    qty_milli = s.qty_milli + excluded.qty_milli,
    max_occurred_at = CASE WHEN s.max_occurred_at IS NOT NULL
      THEN greatest(s.max_occurred_at, excluded.max_occurred_at) END;
  RETURN NULL;
END
$$;
