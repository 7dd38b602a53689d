// drizzle tables of a tenant database on Postgres/PGlite, built from the one declaration per table
// in src/schema/tables/ (the same as src/schema/sqlite.ts builds for the edge). The parity test proves
// both match each other and the migrations. Instants are read as ISO strings, like on the edge.

import { pgTableOf } from './pg/table.ts';
import * as catalogTables from './tables/catalog.ts';
import * as devicesTables from './tables/devices.ts';
import * as documentsTables from './tables/documents.ts';
import * as journalTables from './tables/journal.ts';
import * as shiftsTables from './tables/shifts.ts';
import * as stockTables from './tables/stock.ts';
import * as syncTables from './tables/sync.ts';

export const settings = pgTableOf(catalogTables.settings);
export const roles = pgTableOf(catalogTables.roles);
export const branches = pgTableOf(catalogTables.branches);
export const users = pgTableOf(catalogTables.users);
export const taxRates = pgTableOf(catalogTables.taxRates);
export const products = pgTableOf(catalogTables.products);
export const prices = pgTableOf(catalogTables.prices);
export const customers = pgTableOf(catalogTables.customers);
export const devices = pgTableOf(devicesTables.devices);
export const terminals = pgTableOf(devicesTables.terminals);
export const hqSessions = pgTableOf(devicesTables.hqSessions);
export const sales = pgTableOf(documentsTables.sales);
export const saleLines = pgTableOf(documentsTables.saleLines);
export const payments = pgTableOf(documentsTables.payments);
export const stockMovements = pgTableOf(documentsTables.stockMovements);
export const stockOnHand = pgTableOf(documentsTables.stockOnHand);
export const shifts = pgTableOf(shiftsTables.shifts);
export const cashMovements = pgTableOf(shiftsTables.cashMovements);
export const shiftCounts = pgTableOf(shiftsTables.shiftCounts);
export const stockDocuments = pgTableOf(stockTables.stockDocuments);
export const stockBranchCursors = pgTableOf(stockTables.stockBranchCursors);
export const reorderLevels = pgTableOf(stockTables.reorderLevels);
export const auditLogs = pgTableOf(syncTables.auditLogs);
export const changeLog = pgTableOf(syncTables.changeLog);
export const syncQuarantine = pgTableOf(syncTables.syncQuarantine);
export const journalLinks = pgTableOf(journalTables.journalLinks);
export const journalHeads = pgTableOf(journalTables.journalHeads);

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
