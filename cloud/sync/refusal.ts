// Refusals of a sync connection: what the edge is told (a code, maybe a retry hint) before the
// close code that tells it whether to retry, and what a tenant database's failure means to the edge.
import {
  isAuthenticationFailure,
  isConnectionFailure,
  isDatabaseRefusal,
} from '../../src/db/driver-errors.ts';
import { isAppError } from '../../src/errors.ts';
import { closeCodes, type SyncErrorCode } from '../../src/protocol/errors.ts';
import { findDeviceByToken } from '../devices/devices.ts';
import { type TenantResolver, TenantStatusError } from '../resolver/tenant-resolver.ts';

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

/** What a failure of the tenant's database or resolver means to the edge. */
export function tenantRefusal(err: unknown): Refusal | undefined {
  if (isAppError(err)) {
    if (err.code === 'unauthorized' || err.code === 'not_found') {
      return new Refusal('unauthorized', 'the device token is not valid', closeCodes.unauthorized);
    }
    if (err.code === 'tenant_suspended' || err.code === 'tenant_offboarded') {
      return new Refusal('tenant_suspended', err.message, closeCodes.unavailable, 60_000);
    }
    if (err.code === 'tenant_unavailable' || err.code === 'database_unavailable') {
      return new Refusal('tenant_unavailable', err.message, closeCodes.unavailable, 5_000);
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
 * - anything else (the database unreachable) is rethrown: no token can be checked, so every token of
 *   the org, right or wrong, gets the same `tenant_unavailable`.
 */
export async function refuseUnservedHello(
  resolver: TenantResolver,
  orgId: string,
  token: string,
  err: unknown,
): Promise<never> {
  if (!(err instanceof TenantStatusError)) throw err;
  const invalid = new Refusal('unauthorized', 'the device token is not valid', closeCodes.unauthorized);
  if (err.orgStatus !== 'suspended') throw invalid;
  const device = await resolver.withTenant(orgId, (db) => findDeviceByToken(db, orgId, token), {
    allowSuspended: true,
  });
  throw device && !device.revoked ? err : invalid;
}
