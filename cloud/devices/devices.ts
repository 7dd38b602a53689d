// Devices of a tenant: registered to a branch with a token shown once (`mpd_{orgId}_{secret}`, 192
// random bits, stored as its SHA-256), authenticated by that hash, revoked by a timestamp that the
// sync endpoint reads on every message. Each change is written to the tenant's audit log.
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import type { SqlDatabase } from '../../src/db/sql.ts';
import { codeSchema, text } from '../../src/domain/payloads.ts';
import { formatDeviceToken, parseDeviceToken } from '../../src/domain/tenant-token.ts';
import { AppError } from '../../src/errors.ts';
import { branches, devices } from '../../src/schema/pg.ts';
import { auditTenant } from '../catalog/change-log.ts';
import { hashToken } from '../secrets/passwords.ts';

export interface DeviceContext {
  db: SqlDatabase;
  orgId: string;
  /** Who is acting, for the tenant's audit log. */
  actor: string;
  now?: () => Date;
  /** Called once a revocation has committed (the cloud ends the device's connection at once). */
  onRevoked?: (deviceId: string) => void | Promise<void>;
}

export interface RegisteredDevice {
  deviceId: string;
  branch: string;
  /** Shown once; only its hash is stored. */
  token: string;
}

/** The device a token names, as the sync endpoint needs it. */
export interface AuthenticatedDevice {
  id: string;
  name: string;
  branchCode: string;
  branchTimeZone: string;
  lastAppliedSeq: number;
  revoked: boolean;
}

export async function registerDevice(
  ctx: DeviceContext,
  input: { branch: string; name: string },
): Promise<RegisteredDevice> {
  if (!codeSchema.safeParse(input.branch).success) {
    throw new AppError(
      'invalid_input',
      '--branch must be a branch code (capital letters, digits, underscores)',
    );
  }
  // No control characters: Postgres refuses NUL in text, and none belongs in a device's name.
  const checked = text(120).trim().min(1).safeParse(input.name);
  if (!checked.success) {
    throw new AppError('invalid_input', 'a device name is 1–120 characters, without control characters');
  }
  const name = checked.data;
  const secret = randomBytes(24).toString('base64url');
  const at = (ctx.now?.() ?? new Date()).toISOString();
  const deviceId = randomUUID();
  await ctx.db.transaction(async (tx) => {
    const db = pgDrizzle(tx);
    const [branch] = await db
      .select({ id: branches.id, active: branches.active })
      .from(branches)
      .where(eq(branches.code, input.branch));
    if (!branch) throw new AppError('not_found', `${ctx.orgId} has no branch ${input.branch}`);
    if (!branch.active) throw new AppError('conflict', `branch ${input.branch} is inactive`);
    await db.insert(devices).values({
      id: deviceId,
      branchId: branch.id,
      name,
      tokenHash: hashToken(secret),
      createdAt: at,
      lastAppliedSeq: 0,
    });
    await auditTenant(
      tx,
      {
        actor: ctx.actor,
        action: 'device.registered',
        entity: 'device',
        entityId: deviceId,
        details: { branch: input.branch, name },
      },
      at,
    );
  });
  return { deviceId, branch: input.branch, token: formatDeviceToken(ctx.orgId, secret) };
}

/**
 * Revokes a device; its next sync message is refused. Revoking again (even concurrently) answers the
 * first revocation's time and writes nothing: the conditional UPDATE lets exactly one caller win,
 * so the audit log holds one `device.revoked` row.
 */
export async function revokeDevice(ctx: DeviceContext, deviceId: string): Promise<{ revokedAt: string }> {
  const at = (ctx.now?.() ?? new Date()).toISOString();
  const result = await ctx.db.transaction(async (tx) => {
    const db = pgDrizzle(tx);
    // A plain read-then-write lets two concurrent revokes both see `revoked_at IS NULL`; the UPDATE's
    // row lock makes the second wait for the first and then match nothing.
    const [won] = await db
      .update(devices)
      .set({ revokedAt: at })
      .where(and(eq(devices.id, deviceId), isNull(devices.revokedAt)))
      .returning({ revokedAt: devices.revokedAt });
    if (!won) {
      const [device] = await db
        .select({ revokedAt: devices.revokedAt })
        .from(devices)
        .where(eq(devices.id, deviceId));
      if (!device) throw new AppError('not_found', `${ctx.orgId} has no device ${deviceId}`);
      return { revokedAt: device.revokedAt ?? at };
    }
    await auditTenant(
      tx,
      { actor: ctx.actor, action: 'device.revoked', entity: 'device', entityId: deviceId },
      at,
    );
    return { revokedAt: at };
  });
  await ctx.onRevoked?.(deviceId);
  return result;
}

/** A device as HQ lists it (never its token). */
export interface DeviceView {
  id: string;
  name: string;
  branch: string;
  createdAt: string;
  /** The last hello, ping or push heard from it. */
  lastSeenAt: string | null;
  /** The last time the cloud acknowledged it: a push committed, or an empty outbox reported. */
  lastSyncAt: string | null;
  /** The last time it reported an empty outbox. */
  outboxEmptyAt: string | null;
  lastAppliedSeq: number;
  revokedAt: string | null;
}

export async function listDevices(db: SqlDatabase): Promise<DeviceView[]> {
  return pgDrizzle(db)
    .select({
      id: devices.id,
      name: devices.name,
      branch: branches.code,
      createdAt: devices.createdAt,
      lastSeenAt: devices.lastSeenAt,
      lastSyncAt: devices.lastSyncAt,
      outboxEmptyAt: devices.outboxEmptyAt,
      lastAppliedSeq: devices.lastAppliedSeq,
      revokedAt: devices.revokedAt,
    })
    .from(devices)
    .innerJoin(branches, eq(branches.id, devices.branchId))
    .orderBy(devices.createdAt);
}

/** The device a token belongs to in this tenant's database, or undefined for an unknown or malformed token. */
export async function findDeviceByToken(
  db: SqlDatabase,
  orgId: string,
  token: string,
): Promise<AuthenticatedDevice | undefined> {
  return (await findDevicesByTokens(db, orgId, [token]))[0];
}

/**
 * The devices `tokens` belong to in this tenant's database, in one query (a tenant's hellos arriving
 * together): for each token, its device, or undefined for an unknown, malformed or foreign one.
 */
export async function findDevicesByTokens(
  db: SqlDatabase,
  orgId: string,
  tokens: readonly string[],
): Promise<(AuthenticatedDevice | undefined)[]> {
  const hashes = tokens.map((token) => {
    const parsed = parseDeviceToken(token);
    return parsed && parsed.orgId === orgId ? hashToken(parsed.secret) : undefined;
  });
  const wanted = [...new Set(hashes.filter((h) => h !== undefined))];
  if (wanted.length === 0) return tokens.map(() => undefined);
  const rows = await pgDrizzle(db)
    .select({
      id: devices.id,
      name: devices.name,
      branchCode: branches.code,
      branchTimeZone: branches.timeZone,
      lastAppliedSeq: devices.lastAppliedSeq,
      revokedAt: devices.revokedAt,
      tokenHash: devices.tokenHash,
    })
    .from(devices)
    .innerJoin(branches, eq(branches.id, devices.branchId))
    .where(inArray(devices.tokenHash, wanted));
  const byHash = new Map(
    rows.map(({ revokedAt, tokenHash, ...device }) => [
      tokenHash,
      { ...device, revoked: revokedAt !== null },
    ]),
  );
  return hashes.map((h) => (h === undefined ? undefined : byHash.get(h)));
}

/** Whether the device is still allowed (read on every sync message, so revocation takes effect at once). */
export async function deviceIsActive(db: SqlDatabase, deviceId: string): Promise<boolean> {
  const [row] = await pgDrizzle(db)
    .select({ id: devices.id })
    .from(devices)
    .where(and(eq(devices.id, deviceId), isNull(devices.revokedAt)));
  return row !== undefined;
}
