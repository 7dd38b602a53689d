// Reading the catalog for HQ: branches, tax rates, and products with the default price in force now.
import { asc, sql } from 'drizzle-orm';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { branches, products, taxRates, users } from '../../src/schema/pg.ts';

export const listBranches = (db: SqlQueryable) =>
  pgDrizzle(db).select().from(branches).orderBy(asc(branches.code));

export const listTaxRates = (db: SqlQueryable) =>
  pgDrizzle(db).select().from(taxRates).orderBy(asc(taxRates.name));

export async function listProducts(db: SqlQueryable, at: Date = new Date()) {
  // The default price for every branch that applies now (branch prices are per branch: see /v1/prices).
  // Spelled out with its own alias: the correlation must name the outer products row.
  const priceMinor = sql<number | null>`(SELECT p.price_minor FROM prices p
    WHERE p.product_id = "products"."id" AND p.branch_id IS NULL AND p.effective_from <= ${at.toISOString()}::timestamptz
    ORDER BY p.effective_from DESC LIMIT 1)`;
  return pgDrizzle(db)
    .select({
      id: products.id,
      sku: products.sku,
      barcode: products.barcode,
      name: products.name,
      category: products.category,
      taxRateId: products.taxRateId,
      active: products.active,
      priceMinor,
      createdAt: products.createdAt,
      updatedAt: products.updatedAt,
    })
    .from(products)
    .orderBy(asc(products.sku));
}

/** The tenant's users as HQ sees them: never a password or PIN hash. */
export const listUsers = (db: SqlQueryable) =>
  pgDrizzle(db)
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.roleId,
      /** What the user types at a till with their PIN (cashiers, managers with a PIN). */
      code: users.code,
      active: users.active,
      createdAt: users.createdAt,
      updatedAt: users.updatedAt,
    })
    .from(users)
    .orderBy(asc(users.name));
