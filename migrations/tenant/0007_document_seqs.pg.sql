-- Every document the cloud stores remembers the device seq that carried it, so a resent seq is
-- answered `duplicate` only when the document under that seq has the same kind and id (anything else
-- is `seq_conflict`: an edge database reusing numbers). A shift close has no row of its own: the
-- shift keeps the seq and mutation id of the close. Cash movements gain their device, like sales and
-- shifts, so a device can be held to its own documents. Nullable and additive (expand only): rows
-- written before this migration keep NULL and are matched by id and device alone.
ALTER TABLE sales ADD COLUMN device_seq BIGINT;
ALTER TABLE shifts ADD COLUMN open_seq BIGINT;
ALTER TABLE shifts ADD COLUMN close_seq BIGINT;
ALTER TABLE shifts ADD COLUMN close_mutation_id TEXT;
ALTER TABLE cash_movements ADD COLUMN device_id TEXT;
ALTER TABLE cash_movements ADD COLUMN device_seq BIGINT;

-- The last receipt number the cloud holds per terminal and series: each new one must come after it.
ALTER TABLE terminals ADD COLUMN last_sale_no BIGINT;
ALTER TABLE terminals ADD COLUMN last_refund_no BIGINT;

-- Refunds held until their original sale arrives (reason `awaiting_original`), found by that reason.
CREATE INDEX sync_quarantine_held ON sync_quarantine (received_at)
  WHERE reason_code = 'awaiting_original' AND resolved_at IS NULL;
