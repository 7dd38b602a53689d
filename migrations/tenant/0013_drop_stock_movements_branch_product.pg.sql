-- contract: no query names this index, and stock_movements_order (branch_code, product_id, occurred_at, branch_seq) starts with its two columns, so the previous release's queries are served without it
-- stock_movements_branch_product (branch_code, product_id) is a prefix of stock_movements_order.
-- Besides costing a write per movement, on a ledger without planner statistics (a tenant's first
-- large push, before autovacuum analyzes it) the planner chose it for the stock-ordering walk of a
-- push and then filtered every movement of the branch and product (docs/benchmarks.md).
DROP INDEX IF EXISTS stock_movements_branch_product;
