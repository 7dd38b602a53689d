-- Cashier sign-in at the edge (docs/edge.md#cashier-sessions). Nullable columns only: expand-only,
-- and the code of the release before ignores every one of them.
--   users.code              the code a cashier (or a manager with a PIN) types at the till with the PIN;
--   sales.approved_*        the manager who approved a refund over the limit or a price override, when,
--                           and what for (JSON array: refund_over_limit, price_override);
--   shifts.*_by_user_id,
--   cash_movements.cashier_user_id   the signed-in user behind the person fields;
--   audit_logs.device_*     cashier events (sign-ins, failures, locks, approvals) arrive by sync: the
--                           device and seq that carried one, so a resend is answered `duplicate`.
ALTER TABLE users ADD COLUMN code TEXT;
CREATE UNIQUE INDEX users_code ON users (code);

ALTER TABLE sales ADD COLUMN approved_by_user_id TEXT;
ALTER TABLE sales ADD COLUMN approved_at TIMESTAMPTZ;
ALTER TABLE sales ADD COLUMN approval_reasons TEXT;

ALTER TABLE shifts ADD COLUMN opened_by_user_id TEXT;
ALTER TABLE shifts ADD COLUMN closed_by_user_id TEXT;
ALTER TABLE cash_movements ADD COLUMN cashier_user_id TEXT;

ALTER TABLE audit_logs ADD COLUMN device_id TEXT;
ALTER TABLE audit_logs ADD COLUMN device_seq BIGINT;
