// Tenant users: cashiers with a code and a scrypt-hashed PIN (edges pull both to sign cashiers in
// offline) and HQ users (managers, viewers) with a scrypt-hashed password for HQ sessions; a manager
// may have a code and PIN too, to sign in and approve at tills. The owner is made at onboarding
// and is not changed here. Only a user whose role may do everything (`*`, the owner) creates or
// changes managers, so a manager cannot raise anyone to their own rank.
import { randomUUID } from 'node:crypto';
import { and, eq, isNull, ne } from 'drizzle-orm';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import { hqSessions, users } from '../../src/schema/pg.ts';
import { hashSecret } from '../secrets/passwords.ts';
import { catalogWrite, type WriteContext } from './catalog-write.ts';
import type { UserChanges, UserInput } from './schemas.ts';

/** Whether the acting user may create or change a user of `role`. */
export type MayManage = (role: string) => boolean;

const anyRole: MayManage = () => true;

function refuseRole(role: string): never {
  throw new AppError('forbidden', `only the owner creates or changes ${role}s`);
}

/** Roles that may have a PIN (and a code) for the tills. */
const PIN_ROLES = ['cashier', 'manager'];

/** The code given, refused if another user has it, or the next free numeric code from 1001. */
async function codeFor(tx: SqlQueryable, given: string | undefined, userId: string | null): Promise<string> {
  if (given !== undefined) {
    const [taken] = await tx.query<{ id: string }>('SELECT id FROM users WHERE code = $1', [given]);
    if (taken && taken.id !== userId) throw new AppError('conflict', `another user has code ${given}`);
    return given;
  }
  const [row] = await tx.query<{ next: number }>(
    "SELECT (coalesce(max(code::int8), 1000) + 1)::int8 AS next FROM users WHERE code ~ '^[0-9]{1,9}$'",
  );
  return String(row?.next ?? 1001);
}

/** A cashier (`pin`) or an HQ manager or viewer (`email` and `password`); without `role`, a cashier. */
export async function createUser(
  ctx: WriteContext,
  input: UserInput,
  mayManage: MayManage = anyRole,
): Promise<{ id: string; role: string; code?: string }> {
  if (!mayManage(input.role)) refuseRole(input.role);
  const pin = 'pin' in input ? input.pin : undefined;
  const pinHash = pin === undefined ? null : await hashSecret(pin);
  const passwordHash = input.role === 'cashier' ? null : await hashSecret(input.password);
  const email = input.email?.toLowerCase() ?? null;
  return catalogWrite(ctx, async (tx, at) => {
    const db = pgDrizzle(tx);
    if (email) {
      const [taken] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
      if (taken) throw new AppError('conflict', `a user with email ${email} already exists`);
    }
    const id = randomUUID();
    const code = pinHash === null ? null : await codeFor(tx, 'code' in input ? input.code : undefined, null);
    await db.insert(users).values({
      id,
      email,
      name: input.name,
      roleId: input.role,
      passwordHash,
      pinHash,
      code,
      active: true,
      createdAt: at,
      updatedAt: at,
    });
    return {
      result: { id, role: input.role, ...(code === null ? {} : { code }) },
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
  input: UserChanges,
  mayManage: MayManage = anyRole,
): Promise<{ id: string; role: string; code?: string }> {
  const { pin, password, code: newCode, ...changes } = input;
  const pinHash = pin === undefined ? undefined : await hashSecret(pin);
  const passwordHash = password === undefined ? undefined : await hashSecret(password);
  return catalogWrite(ctx, async (tx, at) => {
    const db = pgDrizzle(tx);
    const [user] = await db
      .select({ id: users.id, role: users.roleId, code: users.code })
      .from(users)
      .where(and(eq(users.id, userId), ne(users.roleId, 'owner')));
    if (!user) throw new AppError('not_found', `user ${userId} not found (the owner is not changed here)`);
    if (!mayManage(user.role)) refuseRole(user.role);
    const isCashier = user.role === 'cashier';
    const mayHavePin = PIN_ROLES.includes(user.role);
    if ((pinHash || newCode !== undefined) && !mayHavePin) {
      throw new AppError('invalid_input', 'only cashiers and managers have a PIN and a code');
    }
    if (passwordHash && isCashier) throw new AppError('invalid_input', 'cashiers have a PIN, not a password');
    // A manager given a first PIN gets a code with it; a new code must be free.
    const code =
      newCode !== undefined || (pinHash && user.code === null)
        ? await codeFor(tx, newCode, user.id)
        : undefined;
    await db
      .update(users)
      .set({
        ...changes,
        ...(pinHash ? { pinHash } : {}),
        ...(passwordHash ? { passwordHash } : {}),
        ...(code === undefined ? {} : { code }),
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
      ...(code === undefined ? [] : ['code']),
      ...(passwordHash ? ['password'] : []),
    ];
    const { code: oldCode, ...changed } = user;
    const nowCode = code ?? oldCode;
    return {
      result: { ...changed, ...(nowCode === null ? {} : { code: nowCode }) },
      changes: [{ entity: 'user', entityId: user.id }],
      action: `${user.role}.updated`,
      details: { fields },
    };
  });
}
