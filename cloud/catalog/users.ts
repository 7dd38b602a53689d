// Tenant users: cashiers with a scrypt-hashed PIN (edges pull it to check PINs offline) and HQ users
// (managers, viewers) with a scrypt-hashed password for HQ sessions. The owner is made at onboarding
// and is not changed here. Only a user whose role may do everything (`*`, the owner) creates or
// changes managers, so a manager cannot raise anyone to their own rank.
import { randomUUID } from 'node:crypto';
import { and, eq, isNull, ne } from 'drizzle-orm';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import { AppError } from '../../src/errors.ts';
import { hqSessions, users } from '../../src/schema/pg.ts';
import { hashSecret } from '../secrets/passwords.ts';
import { catalogWrite, type WriteContext } from './catalog-write.ts';
import { userChangesSchema, userInputSchema } from './schemas.ts';

/** Whether the acting user may create or change a user of `role`. */
export type MayManage = (role: string) => boolean;

const anyRole: MayManage = () => true;

function refuseRole(role: string): never {
  throw new AppError('forbidden', `only the owner creates or changes ${role}s`);
}

/** A cashier (`pin`) or an HQ manager or viewer (`email` and `password`); without `role`, a cashier. */
export async function createUser(
  ctx: WriteContext,
  body: unknown,
  mayManage: MayManage = anyRole,
): Promise<{ id: string; role: string }> {
  const input = userInputSchema.parse(body);
  if (!mayManage(input.role)) refuseRole(input.role);
  const pinHash = input.role === 'cashier' ? await hashSecret(input.pin) : null;
  const passwordHash = input.role === 'cashier' ? null : await hashSecret(input.password);
  const email = input.email?.toLowerCase() ?? null;
  return catalogWrite(ctx, async (tx, at) => {
    const db = pgDrizzle(tx);
    if (email) {
      const [taken] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
      if (taken) throw new AppError('conflict', `a user with email ${email} already exists`);
    }
    const id = randomUUID();
    await db.insert(users).values({
      id,
      email,
      name: input.name,
      roleId: input.role,
      passwordHash,
      pinHash,
      active: true,
      createdAt: at,
      updatedAt: at,
    });
    return {
      result: { id, role: input.role },
      changes: [{ entity: 'user', entityId: id }],
      action: `${input.role}.created`,
    };
  });
}

/**
 * Changes a user's name, PIN (cashiers), password (HQ users) or whether they are active. A new
 * password or deactivation ends the user's HQ sessions in the same transaction.
 */
export async function updateUser(
  ctx: WriteContext,
  userId: string,
  body: unknown,
  mayManage: MayManage = anyRole,
): Promise<{ id: string; role: string }> {
  const { pin, password, ...changes } = userChangesSchema.parse(body);
  const pinHash = pin === undefined ? undefined : await hashSecret(pin);
  const passwordHash = password === undefined ? undefined : await hashSecret(password);
  return catalogWrite(ctx, async (tx, at) => {
    const db = pgDrizzle(tx);
    const [user] = await db
      .select({ id: users.id, role: users.roleId })
      .from(users)
      .where(and(eq(users.id, userId), ne(users.roleId, 'owner')));
    if (!user) throw new AppError('not_found', `user ${userId} not found (the owner is not changed here)`);
    if (!mayManage(user.role)) refuseRole(user.role);
    const isCashier = user.role === 'cashier';
    if (pinHash && !isCashier) throw new AppError('invalid_input', 'only cashiers have a PIN');
    if (passwordHash && isCashier) throw new AppError('invalid_input', 'cashiers have a PIN, not a password');
    await db
      .update(users)
      .set({
        ...changes,
        ...(pinHash ? { pinHash } : {}),
        ...(passwordHash ? { passwordHash } : {}),
        updatedAt: at,
      })
      .where(eq(users.id, userId));
    if (passwordHash || changes.active === false) {
      await db
        .update(hqSessions)
        .set({ revokedAt: at })
        .where(and(eq(hqSessions.userId, userId), isNull(hqSessions.revokedAt)));
    }
    const fields = [
      ...Object.keys(changes),
      ...(pinHash ? ['pin'] : []),
      ...(passwordHash ? ['password'] : []),
    ];
    return {
      result: user,
      changes: [{ entity: 'user', entityId: user.id }],
      action: `${user.role}.updated`,
      details: { fields },
    };
  });
}
