// drizzle tables of the edge's SQLite copy of the tenant schema, built from the one declaration per
// table in src/schema/tables/ (the same as src/schema/pg.ts builds for the cloud), with the types of
// src/schema/type-mapping.ts (instants and dates as ISO text, booleans 0/1, 64-bit integers as INTEGER).

import { sqliteTableOf } from './sqlite/table.ts';
import * as catalogTables from './tables/catalog.ts';
import * as devicesTables from './tables/devices.ts';
import * as documentsTables from './tables/documents.ts';
import * as journalTables from './tables/journal.ts';
import * as shiftsTables from './tables/shifts.ts';
import * as stockTables from './tables/stock.ts';
import * as syncTables from './tables/sync.ts';

export const settings = sqliteTableOf(catalogTables.settings);
export const roles = sqliteTableOf(catalogTables.roles);
export const branches = sqliteTableOf(catalogTables.branches);
export const users = sqliteTableOf(catalogTables.users);
export const taxRates = sqliteTableOf(catalogTables.taxRates);
export const products = sqliteTableOf(catalogTables.products);
export const prices = sqliteTableOf(catalogTables.prices);
export const customers = sqliteTableOf(catalogTables.customers);
export const devices = sqliteTableOf(devicesTables.devices);
export const terminals = sqliteTableOf(devicesTables.terminals);
export const hqSessions = sqliteTableOf(devicesTables.hqSessions);
export const sales = sqliteTableOf(documentsTables.sales);
export const saleLines = sqliteTableOf(documentsTables.saleLines);
export const payments = sqliteTableOf(documentsTables.payments);
export const stockMovements = sqliteTableOf(documentsTables.stockMovements);
export const stockOnHand = sqliteTableOf(documentsTables.stockOnHand);
export const shifts = sqliteTableOf(shiftsTables.shifts);
export const cashMovements = sqliteTableOf(shiftsTables.cashMovements);
export const shiftCounts = sqliteTableOf(shiftsTables.shiftCounts);
export const stockDocuments = sqliteTableOf(stockTables.stockDocuments);
export const stockBranchCursors = sqliteTableOf(stockTables.stockBranchCursors);
export const reorderLevels = sqliteTableOf(stockTables.reorderLevels);
export const auditLogs = sqliteTableOf(syncTables.auditLogs);
export const changeLog = sqliteTableOf(syncTables.changeLog);
export const syncQuarantine = sqliteTableOf(syncTables.syncQuarantine);
export const journalLinks = sqliteTableOf(journalTables.journalLinks);
export const journalHeads = sqliteTableOf(journalTables.journalHeads);

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
  journal_links: journalLinks,
  journal_heads: journalHeads,
} as const;
