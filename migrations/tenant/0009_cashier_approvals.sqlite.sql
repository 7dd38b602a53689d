-- Cashier codes, approvals, the users behind shift and cash movement person fields, and the device
-- of synced cashier events (SQLite variant of 0009_cashier_approvals.pg.sql, which says why).
-- Nullable columns only: expand-only.
ALTER TABLE users ADD COLUMN code TEXT;
CREATE UNIQUE INDEX users_code ON users (code);

ALTER TABLE sales ADD COLUMN approved_by_user_id TEXT;
ALTER TABLE sales ADD COLUMN approved_at TEXT;
ALTER TABLE sales ADD COLUMN approval_reasons TEXT;

ALTER TABLE shifts ADD COLUMN opened_by_user_id TEXT;
ALTER TABLE shifts ADD COLUMN closed_by_user_id TEXT;
ALTER TABLE cash_movements ADD COLUMN cashier_user_id TEXT;

ALTER TABLE audit_logs ADD COLUMN device_id TEXT;
ALTER TABLE audit_logs ADD COLUMN device_seq INTEGER;
