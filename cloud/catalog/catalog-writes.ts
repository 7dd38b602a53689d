// Catalog writes that edges will pull (issue 3): products (with their default price), prices, tax
// rates, branches and cashiers. Each validates its input with zod, then writes the row, its
// change-log entry and a tenant audit entry in one transaction; bad input changes nothing.
import { randomUUID } from 'node:crypto';
import { and, eq, ne, or } from 'drizzle-orm';
import { z } from 'zod';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import type { SqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import { branches, prices, products, taxRates, users } from '../../src/schema/pg.ts';
import { hashSecret } from '../secrets/passwords.ts';
import { appendChanges, auditTenant, type Change, lockChangeLog } from './change-log.ts';

const sku = z.string().trim().min(1).max(64);
const money = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const branchCode = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9_]{0,15}$/, 'use 1–16 capital letters, digits or underscores');

/** SPEC §6: the body of POST /v1/products. */
export const productInputSchema = z.strictObject({
  sku,
  name: z.string().trim().min(1).max(200),
  priceMinor: money,
  taxRateId: z.string().min(1).optional(),
  barcode: z.string().trim().min(1).max(64).optional(),
  category: z.string().trim().min(1).max(100).optional(),
});

export const productChangesSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  taxRateId: z.string().min(1).optional(),
  barcode: z.string().trim().min(1).max(64).nullable().optional(),
  category: z.string().trim().min(1).max(100).nullable().optional(),
  active: z.boolean().optional(),
});

export const priceInputSchema = z.strictObject({
  productId: z.string().min(1),
  /** Omitted: the default price for every branch. */
  branchCode: branchCode.optional(),
  priceMinor: money,
  effectiveFrom: z.iso.datetime({ offset: true }).optional(),
});

export const taxRateInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  rateBp: z.number().int().min(0).max(100_000),
  inclusive: z.boolean(),
  isDefault: z.boolean().optional(),
});

export const branchInputSchema = z.strictObject({
  code: branchCode,
  name: z.string().trim().min(1).max(200),
  timeZone: z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone such as Europe/Berlin'),
});

export const cashierInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  email: z.email().optional(),
  pin: z.string().regex(/^\d{4,8}$/, 'a PIN is 4–8 digits'),
});

export type Product = typeof products.$inferSelect;

interface WriteContext {
  db: SqlDatabase;
  /** Who is writing, for the tenant's audit log. */
  actor: string;
  now?: () => Date;
}

/** Runs one catalog write: the change-log lock, then `fn`, then its changes and audit entry, all in one transaction. */
async function catalogWrite<T>(
  ctx: WriteContext,
  fn: (
    tx: SqlQueryable,
    at: string,
  ) => Promise<{
    result: T;
    changes: Change[];
    action: string;
    /** What the audit entry is about; the first change unless said otherwise. */
    subject?: Change;
    details?: Record<string, unknown>;
  }>,
): Promise<T> {
  const at = (ctx.now?.() ?? new Date()).toISOString();
  return uniqueViolationIsConflict(() =>
    ctx.db.transaction(async (tx) => {
      await lockChangeLog(tx);
      const { result, changes, action, subject, details } = await fn(tx, at);
      await appendChanges(tx, changes, at);
      const first = subject ?? changes[0]!;
      await auditTenant(
        tx,
        {
          actor: ctx.actor,
          action,
          entity: first.entity,
          entityId: first.entityId,
          ...(details ? { details } : {}),
        },
        at,
      );
      return result;
    }),
  );
}

/** A unique key the checks above did not foresee (two writers racing, a repeated effective_from): a conflict, not a 500. */
async function uniqueViolationIsConflict<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const cause = (err as { cause?: { code?: string; table?: string } }).cause; // drizzle wraps driver errors
    if ((err as { code?: string }).code === '23505' || cause?.code === '23505') {
      throw new AppError('conflict', `that would duplicate an existing ${cause?.table ?? 'row'}`);
    }
    throw err;
  }
}

async function requireTaxRate(tx: SqlQueryable, id: string | undefined): Promise<string> {
  const db = pgDrizzle(tx);
  const [rate] = id
    ? await db.select({ id: taxRates.id }).from(taxRates).where(eq(taxRates.id, id))
    : await db.select({ id: taxRates.id }).from(taxRates).where(eq(taxRates.isDefault, true));
  if (!rate)
    throw new AppError('invalid_input', id ? `no tax rate ${id}` : 'the tenant has no default tax rate');
  return rate.id;
}

export async function createProduct(
  ctx: WriteContext,
  body: unknown,
): Promise<Product & { priceMinor: number }> {
  const input = productInputSchema.parse(body);
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

export async function updateProduct(ctx: WriteContext, productId: string, body: unknown): Promise<Product> {
  const changes = productChangesSchema.parse(body);
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

export async function setPrice(ctx: WriteContext, body: unknown): Promise<{ id: string }> {
  const input = priceInputSchema.parse(body);
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

export async function createTaxRate(ctx: WriteContext, body: unknown): Promise<{ id: string }> {
  const input = taxRateInputSchema.parse(body);
  return catalogWrite(ctx, async (tx, at) => {
    const db = pgDrizzle(tx);
    const id = randomUUID();
    // The demoted default is logged first: an edge applying changes in cursor order never holds two defaults.
    const changes: Change[] = [];
    if (input.isDefault) {
      const old = await db
        .update(taxRates)
        .set({ isDefault: false, updatedAt: at })
        .where(eq(taxRates.isDefault, true))
        .returning({ id: taxRates.id });
      for (const r of old) changes.push({ entity: 'tax_rate', entityId: r.id });
    }
    changes.push({ entity: 'tax_rate', entityId: id });
    await db.insert(taxRates).values({
      id,
      name: input.name,
      rateBp: input.rateBp,
      inclusive: input.inclusive,
      isDefault: input.isDefault ?? false,
      createdAt: at,
      updatedAt: at,
    });
    return {
      result: { id },
      changes,
      action: 'tax_rate.created',
      subject: { entity: 'tax_rate', entityId: id },
      details: { rateBp: input.rateBp },
    };
  });
}

export async function createBranch(ctx: WriteContext, body: unknown): Promise<{ id: string }> {
  const input = branchInputSchema.parse(body);
  return catalogWrite(ctx, async (tx, at) => {
    const db = pgDrizzle(tx);
    const [existing] = await db
      .select({ id: branches.id })
      .from(branches)
      .where(eq(branches.code, input.code));
    if (existing) throw new AppError('conflict', `branch ${input.code} already exists`);
    const id = randomUUID();
    await db.insert(branches).values({
      id,
      code: input.code,
      name: input.name,
      timeZone: input.timeZone,
      active: true,
      createdAt: at,
      updatedAt: at,
    });
    return {
      result: { id },
      changes: [{ entity: 'branch', entityId: id }],
      action: 'branch.created',
      details: { code: input.code },
    };
  });
}

/** A cashier (role cashier) with a scrypt-hashed PIN; the PIN hash travels to edges so they can check it offline. */
export async function createCashier(ctx: WriteContext, body: unknown): Promise<{ id: string }> {
  const input = cashierInputSchema.parse(body);
  const pinHash = await hashSecret(input.pin);
  return catalogWrite(ctx, async (tx, at) => {
    const db = pgDrizzle(tx);
    if (input.email) {
      const [taken] = await db
        .select({ id: users.id })
        .from(users)
        .where(eq(users.email, input.email.toLowerCase()));
      if (taken) throw new AppError('conflict', `a user with email ${input.email} already exists`);
    }
    const id = randomUUID();
    await db.insert(users).values({
      id,
      email: input.email?.toLowerCase() ?? null,
      name: input.name,
      roleId: 'cashier',
      passwordHash: null,
      pinHash,
      active: true,
      createdAt: at,
      updatedAt: at,
    });
    return { result: { id }, changes: [{ entity: 'user', entityId: id }], action: 'cashier.created' };
  });
}

export const taxRateChangesSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  rateBp: z.number().int().min(0).max(100_000).optional(),
  inclusive: z.boolean().optional(),
});

/** Changes a rate for sales from now on; lines already sold keep the rate copied onto them. */
export async function updateTaxRate(
  ctx: WriteContext,
  taxRateId: string,
  body: unknown,
): Promise<{ id: string }> {
  const changes = taxRateChangesSchema.parse(body);
  return catalogWrite(ctx, async (tx, at) => {
    const [row] = await pgDrizzle(tx)
      .update(taxRates)
      .set({ ...changes, updatedAt: at })
      .where(eq(taxRates.id, taxRateId))
      .returning({ id: taxRates.id });
    if (!row) throw new AppError('not_found', `tax rate ${taxRateId} not found`);
    return {
      result: row,
      changes: [{ entity: 'tax_rate', entityId: row.id }],
      action: 'tax_rate.updated',
      details: { fields: Object.keys(changes) },
    };
  });
}

export const branchChangesSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  timeZone: branchInputSchema.shape.timeZone.optional(),
  active: z.boolean().optional(),
});

/** A branch's code never changes: receipts and edge-recorded documents name the branch by it. */
export async function updateBranch(ctx: WriteContext, code: string, body: unknown): Promise<{ id: string }> {
  const changes = branchChangesSchema.parse(body);
  return catalogWrite(ctx, async (tx, at) => {
    const [row] = await pgDrizzle(tx)
      .update(branches)
      .set({ ...changes, updatedAt: at })
      .where(eq(branches.code, code))
      .returning({ id: branches.id });
    if (!row) throw new AppError('not_found', `branch ${code} not found`);
    return {
      result: row,
      changes: [{ entity: 'branch', entityId: row.id }],
      action: 'branch.updated',
      details: { fields: Object.keys(changes) },
    };
  });
}

export const cashierChangesSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  pin: cashierInputSchema.shape.pin.optional(),
  active: z.boolean().optional(),
});

export async function updateCashier(
  ctx: WriteContext,
  userId: string,
  body: unknown,
): Promise<{ id: string }> {
  const { pin, ...changes } = cashierChangesSchema.parse(body);
  const pinHash = pin === undefined ? undefined : await hashSecret(pin);
  return catalogWrite(ctx, async (tx, at) => {
    const [row] = await pgDrizzle(tx)
      .update(users)
      .set({ ...changes, ...(pinHash ? { pinHash } : {}), updatedAt: at })
      .where(and(eq(users.id, userId), eq(users.roleId, 'cashier')))
      .returning({ id: users.id });
    if (!row) throw new AppError('not_found', `cashier ${userId} not found`);
    const fields = [...Object.keys(changes), ...(pinHash ? ['pin'] : [])];
    return {
      result: row,
      changes: [{ entity: 'user', entityId: row.id }],
      action: 'cashier.updated',
      details: { fields },
    };
  });
}
