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

-- A refund pushed before its original sale is held in the quarantine (reason `awaiting_original`)
-- until the original arrives; the original's id is kept beside it, so a stored sale finds the
-- refunds waiting for it by key. Refunds quarantined `unknown_original` before holding existed are
-- held from now on, and are released when their original arrives like any other.
ALTER TABLE sync_quarantine ADD COLUMN original_sale_id TEXT;
UPDATE sync_quarantine
   SET original_sale_id = payload::json ->> 'originalSaleId',
       reason_code = CASE WHEN reason_code = 'unknown_original' THEN 'awaiting_original' ELSE reason_code END
 WHERE kind = 'refund' AND resolved_at IS NULL AND payload LIKE '{%';
CREATE INDEX sync_quarantine_held ON sync_quarantine (original_sale_id)
  WHERE reason_code = 'awaiting_original' AND resolved_at IS NULL;
