// Tax rates and branches: catalog writes edges pull.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import { AppError } from '../../src/errors.ts';
import { branches, taxRates } from '../../src/schema/pg.ts';
import { catalogWrite, type WriteContext } from './catalog-write.ts';
import type { Change } from './change-log.ts';
import type { BranchChanges, BranchInput, TaxRateChanges, TaxRateInput } from './schemas.ts';

export async function createTaxRate(ctx: WriteContext, input: TaxRateInput): Promise<{ id: string }> {
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

export async function createBranch(ctx: WriteContext, input: BranchInput): Promise<{ id: string }> {
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

/** Changes a rate for sales from now on; lines already sold keep the rate copied onto them. */
export async function updateTaxRate(
  ctx: WriteContext,
  taxRateId: string,
  changes: TaxRateChanges,
): Promise<{ id: string }> {
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

/** A branch's code never changes: receipts and edge-recorded documents name the branch by it. */
export async function updateBranch(
  ctx: WriteContext,
  code: string,
  changes: BranchChanges,
): Promise<{ id: string }> {
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
