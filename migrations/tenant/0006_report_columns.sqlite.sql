-- Each sale line and payment carries its document's business date, kind and branch (SQLite variant
-- of 0006_report_columns.pg.sql, which says why). SQLite adds a NOT NULL column only with a
-- default, and a default would let a writer that forgets the column store it silently, so both
-- tables are rebuilt as SQLite's ALTER TABLE documentation describes: the 0002 definition plus the
-- three columns, filled from `sales`, swapped in, indexes recreated (~2 s for 300,000 lines).
-- Nothing references these two tables, so dropping the old ones leaves every foreign key intact.
CREATE TABLE sale_lines_0006 (
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
  business_date TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('sale', 'refund')),
  branch_code TEXT NOT NULL,
  PRIMARY KEY (sale_id, line_no)
) STRICT;

-- LEFT JOIN: a line without its sale fails NOT NULL here, as it does on Postgres, instead of vanishing.
INSERT INTO sale_lines_0006
SELECT l.sale_id, l.line_no, l.product_id, l.name, l.qty_milli, l.unit_price_minor, l.amount_minor,
  l.discount_minor, l.tax_rate_bp, l.tax_inclusive, l.tax_minor, l.total_minor, l.original_line_no, l.flags,
  s.business_date, s.kind, s.branch_code
FROM sale_lines l LEFT JOIN sales s ON s.id = l.sale_id;

DROP TABLE sale_lines;
ALTER TABLE sale_lines_0006 RENAME TO sale_lines;
CREATE INDEX sale_lines_product ON sale_lines (product_id);
CREATE INDEX sale_lines_date_branch ON sale_lines (business_date, branch_code);

CREATE TABLE payments_0006 (
  sale_id TEXT NOT NULL REFERENCES sales (id),
  payment_no INTEGER NOT NULL,
  method TEXT NOT NULL CHECK (method IN ('cash', 'card', 'voucher', 'other')),
  amount_minor INTEGER NOT NULL,
  tendered_minor INTEGER NOT NULL,
  change_minor INTEGER NOT NULL,
  reference TEXT,
  business_date TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('sale', 'refund')),
  branch_code TEXT NOT NULL,
  PRIMARY KEY (sale_id, payment_no)
) STRICT;

INSERT INTO payments_0006
SELECT p.sale_id, p.payment_no, p.method, p.amount_minor, p.tendered_minor, p.change_minor, p.reference,
  s.business_date, s.kind, s.branch_code
FROM payments p LEFT JOIN sales s ON s.id = p.sale_id;

DROP TABLE payments;
ALTER TABLE payments_0006 RENAME TO payments;
CREATE INDEX payments_date_branch ON payments (business_date, branch_code);
