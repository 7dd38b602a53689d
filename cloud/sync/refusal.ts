// Refusals of a sync connection: what the edge is told (a code, maybe a retry hint) before the
// close code that tells it whether to retry, and what a tenant database's failure means to the edge.
import {
  isAuthenticationFailure,
  isConnectionFailure,
  isDatabaseRefusal,
} from '../../src/db/driver-errors.ts';
import { isAppError } from '../../src/errors.ts';
import { closeCodes, type SyncErrorCode } from '../../src/protocol/errors.ts';
import { TENANT_MIGRATING_SINCE } from '../../src/protocol/version.ts';
import { findDeviceByToken } from '../devices/devices.ts';
import {
  MIGRATING_RETRY_MS,
  TenantMigratingError,
  type TenantResolver,
  TenantStatusError,
} from '../resolver/tenant-resolver.ts';

/** A refusal that ends the connection: the error message, then a close code that tells the edge whether to retry. */
export class Refusal extends Error {
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    readonly closeCode: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * What a failure of the tenant's database or resolver means to the edge. A migrating tenant is
 * `tenant_migrating` to an edge of protocol 4 or later, and `tenant_unavailable` (which it knows,
 * and retries the same way) to an older one.
 */
export function tenantRefusal(err: unknown, protocolVersion?: number): Refusal | undefined {
  if (isAppError(err)) {
    if (err.code === 'tenant_migrating') {
      const code =
        (protocolVersion ?? 0) >= TENANT_MIGRATING_SINCE ? 'tenant_migrating' : 'tenant_unavailable';
      return new Refusal(code, err.message, closeCodes.unavailable, MIGRATING_RETRY_MS);
    }
    if (err.code === 'unauthorized' || err.code === 'not_found') {
      return new Refusal('unauthorized', 'the device token is not valid', closeCodes.unauthorized);
    }
    if (err.code === 'tenant_suspended' || err.code === 'tenant_offboarded') {
      return new Refusal('tenant_suspended', err.message, closeCodes.unavailable, 60_000);
    }
    if (err.code === 'tenant_unavailable' || err.code === 'database_unavailable') {
      // A move's freeze says how soon to come back (MOVING_RETRY_MS); anything else in 5 s.
      const hint = (err.details as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
      const retryAfterMs = typeof hint === 'number' ? hint : 5_000;
      return new Refusal('tenant_unavailable', err.message, closeCodes.unavailable, retryAfterMs);
    }
  }
  if (isConnectionFailure(err) || isDatabaseRefusal(err) || isAuthenticationFailure(err)) {
    return new Refusal(
      'tenant_unavailable',
      'the tenant database is unavailable',
      closeCodes.unavailable,
      5_000,
    );
  }
  return undefined;
}

/**
 * What a hello is told when its tenant would not serve it, decided only after its token was checked
 * (SPEC §11: a wrong secret is `unauthorized` whatever the tenant's state; docs/security.md):
 * - suspended: the token is checked against the tenant's database (still live); only a device's
 *   right token learns `tenant_suspended`;
 * - provisioning, offboarding, offboarded: no device token of the org can be valid (devices are
 *   registered once it is active; offboarding revokes them and drops the database): `unauthorized`;
 * - migrating (its schema behind this build's): the token is checked against the tenant's database
 *   (`allowOutdated`: the device lookup reads only what every schema since the baseline has); only a
 *   device's right token learns `tenant_migrating`. If the check itself fails, every token of the org
 *   gets the same `tenant_migrating`, as with an unreachable database;
 * - anything else (the database unreachable) is rethrown: no token can be checked, so every token of
 *   the org, right or wrong, gets the same `tenant_unavailable`.
 */
export async function refuseUnservedHello(
  resolver: TenantResolver,
  orgId: string,
  token: string,
  err: unknown,
): Promise<never> {
  const invalid = new Refusal('unauthorized', 'the device token is not valid', closeCodes.unauthorized);
  if (err instanceof TenantMigratingError) {
    const device = await resolver
      .withTenant(orgId, (db) => findDeviceByToken(db, orgId, token), { allowOutdated: true })
      .catch(() => {
        throw err;
      });
    throw device && !device.revoked ? err : invalid;
  }
  if (!(err instanceof TenantStatusError)) throw err;
  if (err.orgStatus !== 'suspended') throw invalid;
  const device = await resolver.withTenant(orgId, (db) => findDeviceByToken(db, orgId, token), {
    allowSuspended: true,
    allowOutdated: true,
  });
  throw device && !device.revoked ? err : invalid;
}
