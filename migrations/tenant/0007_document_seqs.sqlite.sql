-- The seq that carried each document, and the device of each cash movement (SQLite variant of
-- 0007_document_seqs.pg.sql, which says why). The edge leaves them NULL: its own outbox knows.
ALTER TABLE sales ADD COLUMN device_seq INTEGER;
ALTER TABLE shifts ADD COLUMN open_seq INTEGER;
ALTER TABLE shifts ADD COLUMN close_seq INTEGER;
ALTER TABLE shifts ADD COLUMN close_mutation_id TEXT;
ALTER TABLE cash_movements ADD COLUMN device_id TEXT;
ALTER TABLE cash_movements ADD COLUMN device_seq INTEGER;
ALTER TABLE terminals ADD COLUMN last_sale_no INTEGER;
ALTER TABLE terminals ADD COLUMN last_refund_no INTEGER;
ALTER TABLE sync_quarantine ADD COLUMN original_sale_id TEXT;
CREATE INDEX sync_quarantine_held ON sync_quarantine (original_sale_id)
  WHERE reason_code = 'awaiting_original' AND resolved_at IS NULL;
