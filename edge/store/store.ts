// The edge's local store: one SQLite file holding the tenant schema, the outbox and what the edge
// knows about itself, with the services the cashier API calls. Everything a request writes happens
// in one IMMEDIATE transaction; nothing here waits for the network.
import { randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { AppError } from '../../src/errors.ts';
import { cashMovements, sales, shifts, stockDocuments } from '../../src/schema/sqlite.ts';
import type { EdgeOutcome } from '../errors.ts';
import { DEFAULT_REFUND_APPROVAL_ABOVE_MINOR } from './approvals.ts';
import { createCashierEvents } from './cashier-events.ts';
import { type CashierSessions, createCashierSessions } from './cashier-sessions.ts';
import { type Catalog, createCatalog, type ProductView } from './catalog.ts';
import { type EdgeDatabase, type OpenEdgeDatabaseOptions, openEdgeDatabase } from './database.ts';
import { createDocuments, type Documents } from './documents.ts';
import { createDrawer, type Drawer } from './drawer.ts';
import { createGroupCommit, type GroupCommit } from './group-commit.ts';
import { createEdgeJournal, type EdgeJournal } from './journal.ts';
import { type JournalVerification, verifyEdgeJournal } from './journal-verify.ts';
import { createEdgeMeta, type EdgeMeta } from './meta.ts';
import { createOriginalCopies, type OriginalCopies } from './original-copies.ts';
import { createOutbox, type Outbox } from './outbox.ts';
import { createPinCheck, type PinCheck } from './pin-check.ts';
import { createSaleList, type SaleFilter, type SalePage } from './sale-list.ts';
import { createSalesService, type SalesService } from './sales.ts';
import { createSequences } from './sequences.ts';
import { createShiftRoom } from './shift-turnover.ts';
import { createShiftsService, type ShiftsService } from './shifts.ts';
import { createStockService, type StockService } from './stock.ts';

/** Who this edge is. Fixed on first start: a store never changes tenant or branch under its receipts. */
export interface EdgeIdentity {
  /** The tenant, from the device token (`mpd_{orgId}_…`). */
  orgId?: string | undefined;
  /** The branch code receipts are numbered for; required until the store knows it. */
  branch?: string | undefined;
  /** Used until the catalog brings the tenant's currency. */
  currency?: string | undefined;
  /** Used until the catalog brings the branch's or the tenant's time zone (the CLI passes the machine's). */
  timeZone?: string | undefined;
  cloudUrl?: string | undefined;
}

export interface EdgeStoreOptions extends OpenEdgeDatabaseOptions {
  identity?: EdgeIdentity;
  now?: () => Date;
  /** Refunds above this total (minor units) need a manager's approval at the cashier API (default 5000). */
  refundApprovalAboveMinor?: number;
  /**
   * false records documents without their journal links (no chain, no grand totals, no seal). For
   * the edge sales benchmark's comparison only (test/bench/edge-sales.ts): not offered by the CLI or
   * the configuration, since an edge that skips links breaks its chains.
   */
  journal?: boolean;
}

export interface EdgeStore {
  readonly database: EdgeDatabase;
  readonly branch: string;
  readonly meta: EdgeMeta;
  readonly catalog: Catalog;
  readonly documents: Documents;
  /** The cloud's copies of other tills' sales this edge looked up or refunded (never its own documents). */
  readonly copies: OriginalCopies;
  readonly outbox: Outbox;
  readonly sales: SalesService;
  readonly shifts: ShiftsService;
  readonly cashierSessions: CashierSessions;
  /** Code and PIN checks with the throttle (sign-ins and approvals). */
  readonly pins: PinCheck;
  readonly drawer: Drawer;
  readonly stock: StockService;
  readonly now: () => Date;
  /** Sales arriving together share one transaction and one fsync (the cashier API's POST /v1/sales). */
  readonly groupCommit: GroupCommit;
  /** The terminals' hash chains this edge records (docs/edge.md#the-journal). */
  readonly journal: EdgeJournal;
  /** Walks every chain (or one terminal's) from its stored rows, in one snapshot. */
  verifyJournal(terminal?: string): JournalVerification;
  listSales(filter: SaleFilter): EdgeOutcome<SalePage>;
  /** Products by name, SKU or barcode with the price in force at this branch now. */
  searchProducts(query: string, limit: number): ProductView[];
  close(): void;
}

/** The one message for a store that does not know its branch yet (the CLI checks it before creating the file). */
export const BRANCH_REQUIRED =
  'pass --branch CODE on first start: the branch this device was registered to (receipts carry it)';

export async function openEdgeStore(file: string, options: EdgeStoreOptions = {}): Promise<EdgeStore> {
  const database = await openEdgeDatabase(file, options);
  try {
    return createEdgeStore(database, options);
  } catch (err) {
    database.close();
    throw err;
  }
}

/**
 * Checks `identity` (already validated in form, see edge/config.ts) against what the store knows and
 * records it; returns the branch code.
 */
function bindIdentity(meta: EdgeMeta, identity: EdgeIdentity, hasSales: () => boolean): string {
  const known = { orgId: meta.get('org_id'), branch: meta.get('branch') };
  if (identity.orgId !== undefined && known.orgId !== undefined && identity.orgId !== known.orgId) {
    throw new AppError(
      'invalid_input',
      `this edge database belongs to tenant ${known.orgId}; the token is for ${identity.orgId}`,
    );
  }
  if (identity.branch !== undefined && known.branch !== undefined && identity.branch !== known.branch) {
    throw new AppError(
      'invalid_input',
      `this edge database numbers receipts for branch ${known.branch}; it cannot become branch ${identity.branch} (use another --edge-db)`,
    );
  }
  const branch = known.branch ?? identity.branch;
  if (branch === undefined) throw new AppError('invalid_input', BRANCH_REQUIRED);
  const knownCurrency = meta.get('currency');
  if (
    identity.currency !== undefined &&
    knownCurrency !== undefined &&
    identity.currency !== knownCurrency &&
    hasSales()
  ) {
    throw new AppError(
      'invalid_input',
      `this edge has sold in ${knownCurrency}; it cannot switch to ${identity.currency} (the catalog's currency wins once synced)`,
    );
  }
  // This database's own id, made once: the cloud binds a device token to it (seq numbers are per database).
  if (meta.get('store_id') === undefined) meta.set('store_id', randomUUID());
  meta.set('branch', branch);
  if (identity.orgId !== undefined) meta.set('org_id', identity.orgId);
  if (identity.currency !== undefined) meta.set('currency', identity.currency);
  if (identity.timeZone !== undefined) meta.set('time_zone', identity.timeZone);
  if (identity.cloudUrl !== undefined) meta.set('cloud_url', identity.cloudUrl);
  return branch;
}

export function createEdgeStore(database: EdgeDatabase, options: EdgeStoreOptions = {}): EdgeStore {
  const { sqlite, db } = database;
  const now = options.now ?? (() => new Date());
  const meta = createEdgeMeta(db);
  const hasSales = () => sqlite.prepare('SELECT 1 FROM sales LIMIT 1').get() !== undefined;
  const branch = sqlite.transaction(() => bindIdentity(meta, options.identity ?? {}, hasSales)).immediate();
  const next = createSequences(db);
  const catalog = createCatalog(db, meta);
  const documents = createDocuments(db);
  const outbox = createOutbox(db, next, meta);
  const copies = createOriginalCopies(db);
  const run = sqlite.transaction((fn: () => unknown) => fn());
  const transaction = <T>(fn: () => T): T => run.immediate(fn) as T;
  const taken = [sales, shifts, cashMovements, stockDocuments].map((t) =>
    db
      .select({ id: t.id })
      .from(t)
      .where(eq(t.id, sql.placeholder('id')))
      .prepare(),
  );
  // A cashier event (a no-sale's id, say) lives only in the outbox: its id is taken as well.
  const queued = sqlite.prepare('SELECT 1 FROM outbox WHERE mutation_id = ?');
  const idTaken = (id: string) =>
    taken.some((q) => q.get({ id }) !== undefined) || queued.get(id) !== undefined;
  // Reads that must see one snapshot (reports) take no write lock: WAL readers never wait for writers.
  const read = <T>(fn: () => T): T => run.deferred(fn) as T;
  const openShift = db
    .select({ id: shifts.id })
    .from(shifts)
    .where(and(eq(shifts.terminal, sql.placeholder('terminal')), isNull(shifts.closedAt)))
    .prepare();
  const openShiftOf = (terminal: string) => openShift.get({ terminal })?.id ?? null;
  const shiftRoom = createShiftRoom(db);
  const journal = createEdgeJournal(sqlite, meta, branch, options.journal !== false);
  const deps = {
    db,
    transaction,
    read,
    catalog,
    outbox,
    branch,
    now,
    idTaken,
    openShiftOf,
    shiftRoom,
    journal,
  };
  const emit = createCashierEvents(outbox, branch);
  const pins = createPinCheck({ sqlite, transaction, now, emit });
  const cashierSessions = createCashierSessions({ sqlite, transaction, now, pins, emit });
  const refundApprovalAboveMinor = options.refundApprovalAboveMinor ?? DEFAULT_REFUND_APPROVAL_ABOVE_MINOR;

  return {
    database,
    branch,
    meta,
    catalog,
    documents,
    copies,
    outbox,
    now,
    groupCommit: createGroupCommit(sqlite),
    journal,
    verifyJournal: (terminal) => read(() => verifyEdgeJournal(sqlite, documents, terminal)),
    sales: createSalesService({ ...deps, documents, next, meta, emit, refundApprovalAboveMinor, copies }),
    shifts: createShiftsService({
      ...deps,
      onClose: (terminal, at) => cashierSessions.endAtTerminal(terminal, at, 'shift_closed'),
    }),
    cashierSessions,
    pins,
    drawer: createDrawer({ sqlite, transaction, now, emit, idTaken }),
    stock: createStockService({ sqlite, transaction, outbox, branch, now, idTaken }),
    listSales: createSaleList(db),
    searchProducts(query, limit) {
      const ctx = catalog.branchContext(branch);
      return catalog.searchProducts(query, ctx.branchId, now().toISOString(), limit);
    },
    close: () => database.close(),
  };
}
