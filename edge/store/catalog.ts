// The local catalog as the cashier API reads it: products with the price that applies at this branch
// now, the tenant's currency and the branch's time zone (falling back to what the edge was started
// with until the first pull), and whether a cashier is known.
import { and, asc, desc, eq, or, type SQL, sql } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { CatalogProduct, ProductRef } from '../../src/domain/sale.ts';
import { branches, prices, products, settings, taxRates, users } from '../../src/schema/sqlite.ts';
import type { EdgeMeta } from './meta.ts';

/** A product as the cashier API lists it. */
export interface ProductView extends CatalogProduct {
  barcode: string | null;
  category: string | null;
  taxRateId: string;
}

/** What a sale at this branch needs to know besides its products. */
export interface BranchContext {
  branchCode: string;
  /** The branch row, once the catalog has it (branch prices apply only then). */
  branchId: string | null;
  currency: string | undefined;
  timeZone: string;
  openLinesTaxInclusive: boolean;
}

export interface Catalog {
  branchContext(branchCode: string): BranchContext;
  findProduct(ref: ProductRef, branchId: string | null, at: string): ProductView | undefined;
  searchProducts(query: string, branchId: string | null, at: string, limit: number): ProductView[];
  /** The user id of an active user with this email (case-insensitive), if the edge knows one. */
  findCashier(given: string): string | undefined;
}

export function createCatalog(db: BetterSQLite3Database, meta: EdgeMeta): Catalog {
  const at = sql.placeholder('at');
  const branchId = sql.placeholder('branchId');
  // The branch's own price wins over the default; within each, the latest that has started.
  const priceMinor = sql<number | null>`(SELECT ${prices.priceMinor} FROM ${prices}
    WHERE ${prices.productId} = ${products.id} AND ${prices.effectiveFrom} <= ${at}
      AND (${prices.branchId} IS NULL OR ${prices.branchId} = ${branchId})
    ORDER BY ${prices.branchId} IS NULL, ${prices.effectiveFrom} DESC LIMIT 1)`;
  const productQuery = (where: SQL, order: SQL[] = []) =>
    db
      .select({
        id: products.id,
        sku: products.sku,
        barcode: products.barcode,
        name: products.name,
        category: products.category,
        active: products.active,
        taxRateId: products.taxRateId,
        taxRateBp: taxRates.rateBp,
        taxInclusive: taxRates.inclusive,
        priceMinor,
      })
      .from(products)
      .innerJoin(taxRates, eq(taxRates.id, products.taxRateId))
      .where(where)
      .orderBy(...order)
      .$dynamic();
  const value = sql.placeholder('value');
  const byRef = {
    // sku, barcode and id are unique: no LIMIT, whose bound parameter makes SQLite ~5× slower here.
    sku: productQuery(eq(products.sku, value)).prepare(),
    barcode: productQuery(eq(products.barcode, value)).prepare(),
    productId: productQuery(eq(products.id, value)).prepare(),
  };
  const exact = or(eq(products.sku, value), eq(products.barcode, value));
  const search = productQuery(
    or(exact, sql`${products.name} LIKE ${sql.placeholder('pattern')} ESCAPE '\\'`) as SQL,
    [desc(sql`${exact}`), desc(products.active), asc(products.name)],
  )
    .limit(sql.placeholder('limit'))
    .prepare();
  const setting = db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, sql.placeholder('key')))
    .prepare();
  const branch = db
    .select({ id: branches.id, timeZone: branches.timeZone })
    .from(branches)
    .where(eq(branches.code, sql.placeholder('code')))
    .prepare();
  const defaultInclusive = db
    .select({ inclusive: taxRates.inclusive })
    .from(taxRates)
    .where(eq(taxRates.isDefault, true))
    .prepare();
  const cashier = db
    .select({ id: users.id })
    .from(users)
    .where(and(sql`lower(${users.email}) = lower(${sql.placeholder('email')})`, eq(users.active, true)))
    .prepare();

  return {
    branchContext(branchCode) {
      const row = branch.get({ code: branchCode });
      return {
        branchCode,
        branchId: row?.id ?? null,
        currency: setting.get({ key: 'currency' })?.value ?? meta.get('currency'),
        // The branch's own zone, else the tenant's, else what the edge was started with, else UTC.
        timeZone: row?.timeZone ?? setting.get({ key: 'time_zone' })?.value ?? meta.get('time_zone') ?? 'UTC',
        // Before the first pull there is no default rate: open-price lines are tax-exclusive unless they say.
        openLinesTaxInclusive: defaultInclusive.get()?.inclusive ?? false,
      };
    },
    findProduct: (ref, branchId, at) => byRef[ref.by].get({ value: ref.value, branchId, at }),
    searchProducts(query, branchId, at, limit) {
      const pattern = `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      return search.all({ value: query, pattern, branchId, at, limit });
    },
    findCashier: (given) => cashier.get({ email: given })?.id,
  };
}
