// The edge's local store: one SQLite file holding the tenant schema, the outbox and what the edge
// knows about itself, with the services the cashier API calls. Everything a request writes happens
// in one IMMEDIATE transaction; nothing here waits for the network.
import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import { AppError } from '../../src/errors.ts';
import { cashMovements, sales, shifts } from '../../src/schema/sqlite.ts';
import { type Catalog, createCatalog } from './catalog.ts';
import { type EdgeDatabase, type OpenEdgeDatabaseOptions, openEdgeDatabase } from './database.ts';
import { createDocuments, type Documents } from './documents.ts';
import { createEdgeMeta, type EdgeMeta } from './meta.ts';
import { createOutbox, type Outbox } from './outbox.ts';
import { createSalesService, type SalesService } from './sales.ts';
import { createSequences } from './sequences.ts';
import { createShiftsService, type ShiftsService } from './shifts.ts';

/** Who this edge is. Fixed on first start: a store never changes tenant or branch under its receipts. */
export interface EdgeIdentity {
  /** The tenant, from the device token (`mpd_{orgId}_…`). */
  orgId?: string | undefined;
  /** The branch code receipts are numbered for; required until the store knows it. */
  branch?: string | undefined;
  /** Used until the catalog brings the tenant's currency. */
  currency?: string | undefined;
  /** Used until the catalog brings the branch's time zone. */
  timeZone?: string | undefined;
  cloudUrl?: string | undefined;
}

export interface EdgeStoreOptions extends OpenEdgeDatabaseOptions {
  identity?: EdgeIdentity;
  now?: () => Date;
}

export interface SaleSummary {
  id: string;
  kind: 'sale' | 'refund';
  receiptNo: string;
  originalSaleId: string | null;
  terminal: string;
  shiftId: string | null;
  cashier: string | null;
  currency: string;
  totalMinor: number;
  occurredAt: string;
  businessDate: string;
  flags: string[];
}

export interface SaleFilter {
  terminal?: string | undefined;
  kind?: 'sale' | 'refund' | undefined;
  businessDate?: string | undefined;
  shiftId?: string | undefined;
  /** Newest first; `before` is the id of the last sale of the previous page. */
  before?: string | undefined;
  limit: number;
}

export interface EdgeStore {
  readonly database: EdgeDatabase;
  readonly branch: string;
  readonly meta: EdgeMeta;
  readonly catalog: Catalog;
  readonly documents: Documents;
  readonly outbox: Outbox;
  readonly sales: SalesService;
  readonly shifts: ShiftsService;
  readonly now: () => Date;
  listSales(filter: SaleFilter): { sales: SaleSummary[]; next: string | null };
  close(): void;
}

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
function bindIdentity(meta: EdgeMeta, identity: EdgeIdentity): string {
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
  if (branch === undefined) {
    throw new AppError(
      'invalid_input',
      'pass --branch CODE on first start: the branch this device was registered to (receipts carry it)',
    );
  }
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
  const branch = sqlite.transaction(() => bindIdentity(meta, options.identity ?? {})).immediate();
  const next = createSequences(db);
  const catalog = createCatalog(db, meta);
  const documents = createDocuments(db);
  const outbox = createOutbox(db, next, meta);
  const run = sqlite.transaction((fn: () => unknown) => fn());
  const transaction = <T>(fn: () => T): T => run.immediate(fn) as T;
  const taken = [sales, shifts, cashMovements].map((t) =>
    db
      .select({ id: t.id })
      .from(t)
      .where(eq(t.id, sql.placeholder('id')))
      .prepare(),
  );
  const idTaken = (id: string) => taken.some((q) => q.get({ id }) !== undefined);
  const deps = { db, transaction, catalog, outbox, branch, now, idTaken };

  return {
    database,
    branch,
    meta,
    catalog,
    documents,
    outbox,
    now,
    sales: createSalesService({ ...deps, documents, next }),
    shifts: createShiftsService(deps),
    listSales(filter) {
      const where: SQL[] = [];
      if (filter.terminal !== undefined) where.push(eq(sales.terminal, filter.terminal));
      if (filter.kind !== undefined) where.push(eq(sales.kind, filter.kind));
      if (filter.businessDate !== undefined) where.push(eq(sales.businessDate, filter.businessDate));
      if (filter.shiftId !== undefined) where.push(eq(sales.shiftId, filter.shiftId));
      if (filter.before !== undefined) {
        where.push(
          sql`rowid < coalesce((SELECT rowid FROM ${sales} WHERE ${sales.id} = ${filter.before}), 0)`,
        );
      }
      const rows = db
        .select({
          id: sales.id,
          kind: sales.kind,
          receiptNo: sales.receiptNo,
          originalSaleId: sales.originalSaleId,
          terminal: sales.terminal,
          shiftId: sales.shiftId,
          cashier: sales.cashier,
          currency: sales.currency,
          totalMinor: sales.totalMinor,
          occurredAt: sales.occurredAt,
          businessDate: sales.businessDate,
          flags: sales.flags,
        })
        .from(sales)
        .where(and(...where))
        .orderBy(desc(sql`rowid`))
        .limit(filter.limit + 1)
        .all();
      const page = rows.slice(0, filter.limit).map((r) => ({ ...r, flags: JSON.parse(r.flags) as string[] }));
      return { sales: page, next: rows.length > filter.limit ? (page.at(-1)?.id ?? null) : null };
    },
    close: () => database.close(),
  };
}
