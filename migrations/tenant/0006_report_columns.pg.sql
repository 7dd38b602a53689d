-- Each sale line and payment carries its document's business date, kind and branch, copied from
-- `sales` when written (documents never change), so a report over a period reads that period's
-- lines and payments through their own index instead of joining every line and payment to `sales`.
-- Evidence: 1,000,000 lines over 365 days (test/bench/reports.ts data), reports over the last 30;
-- EXPLAIN (ANALYZE, BUFFERS), PostgreSQL 15 on 2 busy cores (times include EXPLAIN's overhead):
--   before: top products hashed the period's 30,010 sales against a parallel seq scan of all
--     990,201 product lines (27,800 buffers): 355–373 ms; tax the same, 312–346 ms; payments
--     against a seq scan of all 350,042 payments (8,700 buffers): 213–221 ms.
--   after: bitmap scans of (business_date, branch_code) read the period's 88,826 lines in 2,474
--     buffers and its 31,124 payments in 557. Over all branches (business_date) alone did no
--     better (serial, top products 128–154 ms against 134–147, tax 53–54 against 53–55); for one
--     branch the second column keeps 31,760 of the 88,826 entries and 1,599 of 2,383 heap blocks:
--     top products 83–92 ms against 121–123, tax 21–23 against 30–39. Both are ~7 MB fresh.
--   Through runReport (npm run bench reports), with the queries of cloud/reports/sales.ts, p50
--     went from 295 to 72 ms (top products) and from 198 to 12 ms (payments) on the same day.
-- The backfill took 30 s for those 1,000,000 lines and 350,042 payments, holding ACCESS EXCLUSIVE
-- on both tables (pushes to this tenant wait). The old row versions double both tables and their
-- indexes; autovacuum makes the space reusable by later rows but does not give it back.
ALTER TABLE sale_lines
  ADD COLUMN business_date DATE,
  ADD COLUMN kind TEXT CHECK (kind IN ('sale', 'refund')),
  ADD COLUMN branch_code TEXT;

ALTER TABLE payments
  ADD COLUMN business_date DATE,
  ADD COLUMN kind TEXT CHECK (kind IN ('sale', 'refund')),
  ADD COLUMN branch_code TEXT;

UPDATE sale_lines l SET business_date = s.business_date, kind = s.kind, branch_code = s.branch_code
FROM sales s WHERE s.id = l.sale_id;

UPDATE payments p SET business_date = s.business_date, kind = s.kind, branch_code = s.branch_code
FROM sales s WHERE s.id = p.sale_id;

-- Every line and payment references a sale (foreign key), so none is left NULL.
ALTER TABLE sale_lines
  ALTER COLUMN business_date SET NOT NULL,
  ALTER COLUMN kind SET NOT NULL,
  ALTER COLUMN branch_code SET NOT NULL;

ALTER TABLE payments
  ALTER COLUMN business_date SET NOT NULL,
  ALTER COLUMN kind SET NOT NULL,
  ALTER COLUMN branch_code SET NOT NULL;

CREATE INDEX sale_lines_date_branch ON sale_lines (business_date, branch_code);
CREATE INDEX payments_date_branch ON payments (business_date, branch_code);

-- Statistics for the new columns now, not when autovacuum gets round to it: without them the
-- planner guesses a period's share of the lines.
ANALYZE sale_lines, payments;
