// HQ sessions (SPEC §6): the owner or another HQ user logs in with email and password and gets an
// opaque bearer token `mph_{orgId}_{secret}` (the org id routes it; the tenant stores only its
// SHA-256) that expires; logout revokes it. A failed login says the same whatever was wrong.
import { randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import { z } from 'zod';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import type { SqlDatabase } from '../../src/db/sql.ts';
import { formatTenantToken, parseTenantToken } from '../../src/domain/tenant-token.ts';
import { AppError } from '../../src/errors.ts';
import { hqSessions, roles, users } from '../../src/schema/pg.ts';
import { hashSecret, hashToken, verifySecret } from '../secrets/passwords.ts';

/** How long a session lasts. */
export const SESSION_TTL_MS = 12 * 3600 * 1000;

/** The one answer to every failed login, so it reveals neither the org, the email nor the password. */
export const badLogin = () => new AppError('unauthorized', 'wrong organization, email or password');

/** A hash to verify against when the user does not exist, so a miss takes as long as a wrong password. */
let dummyHash: Promise<string> | undefined;
const dummy = () => {
  dummyHash ??= hashSecret(randomBytes(16).toString('hex'));
  return dummyHash;
};

export interface HqUser {
  userId: string;
  email: string;
  name: string;
  role: string;
}

/** A session's user with what their role may do (`*`: everything). */
export interface SessionUser extends HqUser {
  permissions: string[];
}

/** Whether `user` may do `permission` (catalog:write, users:write, devices:write, reports:read). */
export const can = (user: SessionUser, permission: string) =>
  user.permissions.includes('*') || user.permissions.includes(permission);

/** Refuses with 403 unless `user` may do `permission`. */
export function requirePermission(user: SessionUser, permission: string): void {
  if (!can(user, permission)) {
    throw new AppError('forbidden', `the ${user.role} role may not do this (needs ${permission})`);
  }
}

export async function login(
  db: SqlDatabase,
  orgId: string,
  credentials: { email: string; password: string },
  now: Date = new Date(),
): Promise<{ token: string; expiresAt: string; user: HqUser }> {
  const d = pgDrizzle(db);
  const [user] = await d
    .select({
      id: users.id,
      email: users.email,
      name: users.name,
      role: users.roleId,
      hash: users.passwordHash,
    })
    .from(users)
    .where(and(sql`lower(${users.email}) = lower(${credentials.email})`, eq(users.active, true)));
  const matches = await verifySecret(credentials.password, user?.hash ?? (await dummy()));
  if (!user?.hash || !matches) throw badLogin();
  if (user.role === 'cashier')
    throw new AppError('forbidden', 'cashiers sell at the edge; HQ is for owners, managers and viewers');
  const secret = randomBytes(24).toString('base64url');
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS).toISOString();
  await d.insert(hqSessions).values({
    tokenHash: hashToken(secret),
    userId: user.id,
    createdAt: now.toISOString(),
    expiresAt,
  });
  return {
    token: formatTenantToken('mph', orgId, secret),
    expiresAt,
    user: { userId: user.id, email: user.email ?? credentials.email, name: user.name, role: user.role },
  };
}

/** The org a session token names, before its tenant database is opened; undefined if malformed. */
export const sessionOrg = (token: string) => parseTenantToken('mph', token)?.orgId;

/** The user of a live session (not expired, not revoked, user still active), or undefined. */
export async function authenticate(
  db: SqlDatabase,
  token: string,
  now: Date = new Date(),
): Promise<SessionUser | undefined> {
  const parsed = parseTenantToken('mph', token);
  if (!parsed) return undefined;
  const [row] = await pgDrizzle(db)
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      role: users.roleId,
      permissions: roles.permissions,
    })
    .from(hqSessions)
    .innerJoin(users, eq(users.id, hqSessions.userId))
    .innerJoin(roles, eq(roles.id, users.roleId))
    .where(
      and(
        eq(hqSessions.tokenHash, hashToken(parsed.secret)),
        isNull(hqSessions.revokedAt),
        gt(hqSessions.expiresAt, now.toISOString()),
        eq(users.active, true),
      ),
    );
  if (!row) return undefined;
  const permissions = z.array(z.string()).parse(JSON.parse(row.permissions));
  return { ...row, email: row.email ?? '', permissions };
}

/** Revokes the session of `token`; revoking twice changes nothing. */
export async function logout(db: SqlDatabase, token: string, now: Date = new Date()): Promise<void> {
  const parsed = parseTenantToken('mph', token);
  if (!parsed) return;
  await pgDrizzle(db)
    .update(hqSessions)
    .set({ revokedAt: now.toISOString() })
    .where(and(eq(hqSessions.tokenHash, hashToken(parsed.secret)), isNull(hqSessions.revokedAt)));
}
