// Cashiers: users with the cashier role and a scrypt-hashed PIN, which edges pull to check PINs offline.
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import { AppError } from '../../src/errors.ts';
import { users } from '../../src/schema/pg.ts';
import { hashSecret } from '../secrets/passwords.ts';
import { catalogWrite, type WriteContext } from './catalog-write.ts';
import { cashierChangesSchema, cashierInputSchema } from './schemas.ts';

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
