// Products (created with their default price) and prices per branch: catalog writes edges pull.
import { randomUUID } from 'node:crypto';
import { and, eq, ne, or } from 'drizzle-orm';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import { AppError } from '../../src/errors.ts';
import { branches, prices, products } from '../../src/schema/pg.ts';
import { catalogWrite, type Product, requireTaxRate, type WriteContext } from './catalog-write.ts';
import type { PriceInput, ProductChanges, ProductInput } from './schemas.ts';

export async function createProduct(
  ctx: WriteContext,
  input: ProductInput,
): Promise<Product & { priceMinor: number }> {
  return catalogWrite(ctx, async (tx, at) => {
    const db = pgDrizzle(tx);
    const taxRateId = await requireTaxRate(tx, input.taxRateId);
    const clash = await db
      .select({ id: products.id })
      .from(products)
      .where(
        input.barcode
          ? or(eq(products.sku, input.sku), eq(products.barcode, input.barcode))
          : eq(products.sku, input.sku),
      );
    if (clash.length > 0)
      throw new AppError('conflict', `a product with SKU ${input.sku} or that barcode already exists`);
    const id = randomUUID();
    const [product] = await db
      .insert(products)
      .values({
        id,
        sku: input.sku,
        barcode: input.barcode ?? null,
        name: input.name,
        category: input.category ?? null,
        taxRateId,
        active: true,
        createdAt: at,
        updatedAt: at,
      })
      .returning();
    const priceId = randomUUID();
    await db.insert(prices).values({
      id: priceId,
      productId: id,
      branchId: null,
      priceMinor: input.priceMinor,
      effectiveFrom: at,
      createdAt: at,
    });
    return {
      result: { ...product!, priceMinor: input.priceMinor },
      changes: [
        { entity: 'product', entityId: id },
        { entity: 'price', entityId: priceId },
      ],
      action: 'product.created',
      details: { sku: input.sku },
    };
  });
}

export async function updateProduct(
  ctx: WriteContext,
  productId: string,
  changes: ProductChanges,
): Promise<Product> {
  return catalogWrite(ctx, async (tx, at) => {
    const db = pgDrizzle(tx);
    if (changes.taxRateId) await requireTaxRate(tx, changes.taxRateId);
    if (changes.barcode) {
      const taken = await db
        .select({ id: products.id })
        .from(products)
        .where(and(eq(products.barcode, changes.barcode), ne(products.id, productId)));
      if (taken.length > 0)
        throw new AppError('conflict', `barcode ${changes.barcode} belongs to another product`);
    }
    const [product] = await db
      .update(products)
      .set({ ...changes, updatedAt: at })
      .where(eq(products.id, productId))
      .returning();
    if (!product) throw new AppError('not_found', `product ${productId} not found`);
    return {
      result: product,
      changes: [{ entity: 'product', entityId: productId }],
      action: 'product.updated',
      details: { fields: Object.keys(changes) },
    };
  });
}

export async function setPrice(ctx: WriteContext, input: PriceInput): Promise<{ id: string }> {
  return catalogWrite(ctx, async (tx, at) => {
    const db = pgDrizzle(tx);
    const [product] = await db
      .select({ id: products.id })
      .from(products)
      .where(eq(products.id, input.productId));
    if (!product) throw new AppError('not_found', `product ${input.productId} not found`);
    let branchId: string | null = null;
    if (input.branchCode) {
      const [branch] = await db
        .select({ id: branches.id })
        .from(branches)
        .where(eq(branches.code, input.branchCode));
      if (!branch) throw new AppError('not_found', `branch ${input.branchCode} not found`);
      branchId = branch.id;
    }
    const id = randomUUID();
    await db.insert(prices).values({
      id,
      productId: input.productId,
      branchId,
      priceMinor: input.priceMinor,
      effectiveFrom: input.effectiveFrom ?? at,
      createdAt: at,
    });
    return {
      result: { id },
      changes: [{ entity: 'price', entityId: id }],
      action: 'price.set',
      details: { productId: input.productId, branchCode: input.branchCode ?? null },
    };
  });
}
