-- contract: no query names this index, and stock_movements_order starts with its two columns (the SQLite variant of 0013_drop_stock_movements_branch_product.pg.sql, which says why)
DROP INDEX IF EXISTS stock_movements_branch_product;
