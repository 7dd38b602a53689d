// drizzle tables of a tenant database on Postgres/PGlite. Kept beside src/schema/sqlite.ts, column
// for column: drizzle has no dialect-neutral table, and the parity test proves both match each
// other and the migrations. Instants are read as ISO strings, like on the edge.
export * from './pg/catalog.ts';
export * from './pg/devices.ts';
export * from './pg/documents.ts';
export * from './pg/shifts.ts';
export * from './pg/stock.ts';
export * from './pg/sync.ts';

import { branches, customers, prices, products, roles, settings, taxRates, users } from './pg/catalog.ts';
import { devices, hqSessions, terminals } from './pg/devices.ts';
import { payments, saleLines, sales, stockMovements, stockOnHand } from './pg/documents.ts';
import { cashMovements, shiftCounts, shifts } from './pg/shifts.ts';
import { reorderLevels, stockBranchCursors, stockDocuments } from './pg/stock.ts';
import { auditLogs, changeLog, syncQuarantine } from './pg/sync.ts';

/** Every shared tenant table, by SQL name. */
export const tenantTables = {
  settings,
  roles,
  branches,
  users,
  tax_rates: taxRates,
  devices,
  terminals,
  products,
  prices,
  customers,
  shifts,
  cash_movements: cashMovements,
  shift_counts: shiftCounts,
  sales,
  sale_lines: saleLines,
  payments,
  stock_movements: stockMovements,
  stock_on_hand: stockOnHand,
  stock_documents: stockDocuments,
  stock_branch_cursors: stockBranchCursors,
  reorder_levels: reorderLevels,
  audit_logs: auditLogs,
  change_log: changeLog,
  sync_quarantine: syncQuarantine,
  hq_sessions: hqSessions,
} as const;
