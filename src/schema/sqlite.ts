// drizzle tables of the edge's SQLite copy of the tenant schema: column for column the same as
// src/schema/pg.ts, with the types of src/schema/type-mapping.ts (instants and dates as ISO text,
// booleans 0/1, 64-bit integers as INTEGER).
export * from './sqlite/catalog.ts';
export * from './sqlite/devices.ts';
export * from './sqlite/documents.ts';
export * from './sqlite/shifts.ts';
export * from './sqlite/stock.ts';
export * from './sqlite/sync.ts';

import { branches, customers, prices, products, roles, settings, taxRates, users } from './sqlite/catalog.ts';
import { devices, hqSessions, terminals } from './sqlite/devices.ts';
import { payments, saleLines, sales, stockMovements, stockOnHand } from './sqlite/documents.ts';
import { cashMovements, shiftCounts, shifts } from './sqlite/shifts.ts';
import { reorderLevels, stockBranchCursors, stockDocuments } from './sqlite/stock.ts';
import { auditLogs, changeLog, syncQuarantine } from './sqlite/sync.ts';

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
