-- The point-of-sale schema shared by the edge (SQLite) and the cloud (Postgres/PGlite).
-- SQLite variant of 0002_pos.pg.sql; types per src/schema/type-mapping.ts. Money is in minor
-- units and quantities in thousandths (INTEGER); instants are UTC; business dates are branch-local.
-- STRICT tables and NOT NULL keys, so SQLite refuses what Postgres would refuse at push time.
-- Documents recorded at the edge (sales, shifts, stock movements) name branches by code and carry
-- device, cashier, customer and product ids without foreign keys: an offline edge may record them
-- before it has the rows they point at, and a valid offline sale is never refused for that.

CREATE TABLE devices (
  id TEXT NOT NULL PRIMARY KEY,
  branch_id TEXT NOT NULL REFERENCES branches (id),
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  last_seen_at TEXT,
  last_applied_seq INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Terminal codes are registered per branch, each owned by one device (a branch server owns several),
-- so no two terminals of a branch share a receipt series.
CREATE TABLE terminals (
  branch_id TEXT NOT NULL REFERENCES branches (id),
  code TEXT NOT NULL,
  device_id TEXT NOT NULL REFERENCES devices (id),
  created_at TEXT NOT NULL,
  PRIMARY KEY (branch_id, code)
) STRICT;

CREATE INDEX terminals_device ON terminals (device_id);

CREATE TABLE products (
  id TEXT NOT NULL PRIMARY KEY,
  sku TEXT NOT NULL UNIQUE,
  barcode TEXT UNIQUE,
  name TEXT NOT NULL,
  category TEXT,
  tax_rate_id TEXT NOT NULL REFERENCES tax_rates (id),
  active INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

-- A price applies from effective_from on; branch_id NULL is the default for every branch.
CREATE TABLE prices (
  id TEXT NOT NULL PRIMARY KEY,
  product_id TEXT NOT NULL REFERENCES products (id),
  branch_id TEXT REFERENCES branches (id),
  price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
  effective_from TEXT NOT NULL,
  created_at TEXT NOT NULL
) STRICT;

CREATE UNIQUE INDEX prices_branch_from ON prices (product_id, branch_id, effective_from) WHERE branch_id IS NOT NULL;
CREATE UNIQUE INDEX prices_default_from ON prices (product_id, effective_from) WHERE branch_id IS NULL;

CREATE TABLE customers (
  id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT,
  phone TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE shifts (
  id TEXT NOT NULL PRIMARY KEY,
  branch_code TEXT NOT NULL,
  terminal TEXT NOT NULL,
  device_id TEXT,
  opened_by TEXT,
  opened_at TEXT NOT NULL,
  opening_float_minor INTEGER NOT NULL CHECK (opening_float_minor >= 0),
  business_date TEXT NOT NULL,
  closed_by TEXT,
  closed_at TEXT,
  counted_cash_minor INTEGER
) STRICT;

CREATE INDEX shifts_branch_date ON shifts (branch_code, business_date);

CREATE TABLE cash_movements (
  id TEXT NOT NULL PRIMARY KEY,
  shift_id TEXT NOT NULL REFERENCES shifts (id),
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  reason TEXT NOT NULL,
  cashier TEXT,
  occurred_at TEXT NOT NULL
) STRICT;

CREATE INDEX cash_movements_shift ON cash_movements (shift_id);

-- What was counted per tender when a shift closed; the Z report sets it against what was expected.
CREATE TABLE shift_counts (
  shift_id TEXT NOT NULL REFERENCES shifts (id),
  method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'voucher', 'other')),
  counted_minor INTEGER NOT NULL CHECK (counted_minor >= 0),
  PRIMARY KEY (shift_id, method)
) STRICT;

-- A sale or a refund (a new document referencing its original sale). Completed documents are never
-- changed. flags: JSON array (price_override, open_price, inactive_product, stock_below_zero,
-- unknown_cashier, …).
CREATE TABLE sales (
  id TEXT NOT NULL PRIMARY KEY,
  receipt_no TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('sale', 'refund')),
  original_sale_id TEXT,
  branch_code TEXT NOT NULL,
  terminal TEXT NOT NULL,
  device_id TEXT,
  shift_id TEXT,
  cashier TEXT,
  cashier_user_id TEXT,
  customer_id TEXT,
  currency TEXT NOT NULL,
  subtotal_minor INTEGER NOT NULL,
  discount_minor INTEGER NOT NULL,
  tax_minor INTEGER NOT NULL,
  total_minor INTEGER NOT NULL,
  change_minor INTEGER NOT NULL,
  occurred_at TEXT NOT NULL,
  business_date TEXT NOT NULL,
  reason TEXT,
  flags TEXT NOT NULL,
  received_at TEXT
) STRICT;

CREATE INDEX sales_branch_date ON sales (branch_code, business_date);
CREATE INDEX sales_original ON sales (original_sale_id);
CREATE INDEX sales_shift ON sales (shift_id);
CREATE INDEX sales_date ON sales (business_date);

CREATE TABLE sale_lines (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  line_no INTEGER NOT NULL,
  product_id TEXT,
  name TEXT NOT NULL,
  qty_milli INTEGER NOT NULL,
  unit_price_minor INTEGER NOT NULL,
  amount_minor INTEGER NOT NULL,
  discount_minor INTEGER NOT NULL,
  tax_rate_bp INTEGER NOT NULL,
  tax_inclusive INTEGER NOT NULL,
  tax_minor INTEGER NOT NULL,
  total_minor INTEGER NOT NULL,
  original_line_no INTEGER,
  flags TEXT NOT NULL,
  PRIMARY KEY (sale_id, line_no)
) STRICT;

CREATE INDEX sale_lines_product ON sale_lines (product_id);

CREATE TABLE payments (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  payment_no INTEGER NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'voucher', 'other')),
  amount_minor INTEGER NOT NULL,
  tendered_minor INTEGER NOT NULL,
  change_minor INTEGER NOT NULL,
  reference TEXT,
  PRIMARY KEY (sale_id, payment_no)
) STRICT;

-- Stock is a ledger: on hand is the sum of deltas; below zero is allowed and flagged on the sale.
CREATE TABLE stock_movements (
  id TEXT NOT NULL PRIMARY KEY,
  branch_code TEXT NOT NULL,
  product_id TEXT NOT NULL,
  delta_qty_milli INTEGER NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('sale', 'refund', 'receive', 'adjust', 'count', 'transfer')),
  occurred_at TEXT NOT NULL,
  source_id TEXT
) STRICT;

CREATE INDEX stock_movements_branch_product ON stock_movements (branch_code, product_id);

-- HQ changes (catalog, users, devices, quarantine replays) as the tenant sees them.
CREATE TABLE audit_logs (
  id TEXT NOT NULL PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entity TEXT,
  entity_id TEXT,
  details TEXT NOT NULL
) STRICT;

CREATE INDEX audit_logs_at ON audit_logs (at);

-- Catalog rows changed, in cursor order, for edges pulling changes. Writers serialise on a
-- per-tenant lock so cursors become visible in order.
CREATE TABLE change_log (
  cursor INTEGER NOT NULL PRIMARY KEY,
  entity TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
  changed_at TEXT NOT NULL
) STRICT;

CREATE INDEX change_log_entity ON change_log (entity, entity_id);

-- Mutations that failed validation, kept whole with their reason; replayable after a fix.
CREATE TABLE sync_quarantine (
  id TEXT NOT NULL PRIMARY KEY,
  device_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  mutation_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  reason TEXT NOT NULL,
  received_at TEXT NOT NULL,
  resolved_at TEXT,
  resolution TEXT
) STRICT;

CREATE UNIQUE INDEX sync_quarantine_device_seq ON sync_quarantine (device_id, seq);
