// The hello's work in the tenant's database: the token's device, the binding to one edge database,
// the terminals claimed, the tenant's currency and the device row's contact time. Done for several
// hellos of one tenant at once (hello-batches.ts): one query per step, not one per device.
import type { SqlDatabase } from '../../src/db/sql.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Hello } from '../../src/protocol/messages.ts';
import { type AuthenticatedDevice, findDevicesByTokens } from '../devices/devices.ts';
import { touchDevices } from '../devices/last-seen.ts';
import { tenantCurrency } from '../devices/scope.ts';
import { bindStores } from '../devices/store-binding.ts';
import { latestCursor } from './pull.ts';
import { Refusal } from './refusal.ts';
import { claimTerminalsOfDevices } from './terminals.ts';

/** What the welcome is made of. */
export interface HelloTenant {
  device: AuthenticatedDevice;
  terminals: Set<string>;
  currency: string;
  cursor: number;
}

/** One hello of a batch: the token it came with and the message. */
export interface HelloRequest {
  token: string;
  message: Hello;
}

const invalidToken = () =>
  new Refusal('unauthorized', 'the device token is not valid', closeCodes.unauthorized);
const inUse = () =>
  new Refusal(
    'device_in_use',
    'this device token is bound to another edge database; register a new device for this one',
    closeCodes.unauthorized,
  );

/**
 * Runs inside the tenant's `withTenant`: for each hello, in order, what its welcome is made of, or the
 * `Refusal` of its device (unknown or revoked token, bound to another edge database). The revocation
 * is read here, in the same query as the device: nothing about a token outlives the hello.
 */
export async function helloTenants(
  db: SqlDatabase,
  orgId: string,
  requests: readonly HelloRequest[],
  now: () => Date,
): Promise<(HelloTenant | Refusal)[]> {
  const found = await findDevicesByTokens(
    db,
    orgId,
    requests.map((r) => r.token),
  );
  const results: (HelloTenant | Refusal | undefined)[] = found.map((device) =>
    !device || device.revoked ? invalidToken() : undefined,
  );
  const valid = requests.flatMap((r, i) =>
    results[i] === undefined ? [{ ...r, i, device: found[i]! }] : [],
  );
  const bound = await bindStores(
    db,
    valid.map((v) => ({ deviceId: v.device.id, storeId: v.message.storeId })),
  );
  const welcomed = valid.filter((v) => {
    if (bound.get(v.device.id) === v.message.storeId) return true;
    results[v.i] = inUse();
    return false;
  });
  if (welcomed.length > 0) {
    const at = now();
    const terminals = await claimTerminalsOfDevices(
      db,
      welcomed.map((v) => ({ deviceId: v.device.id, codes: v.message.terminals })),
      at.toISOString(),
    );
    const currency = await tenantCurrency(db);
    await touchDevices(
      db,
      welcomed.map((v) => ({ deviceId: v.device.id, at, backlog: v.message.backlog })),
    );
    const cursor = await latestCursor(db);
    for (const v of welcomed) {
      results[v.i] = {
        device: v.device,
        terminals: terminals.get(v.device.id) ?? new Set(),
        currency,
        cursor,
      };
    }
  }
  return results.map((r) => r ?? invalidToken());
}

/** One hello alone (`helloTenants` of one); a refused device throws its `Refusal`. */
export async function helloTenant(
  db: SqlDatabase,
  orgId: string,
  token: string,
  message: Hello,
  now: () => Date,
): Promise<HelloTenant> {
  const [result] = await helloTenants(db, orgId, [{ token, message }], now);
  if (!result || result instanceof Refusal) throw result ?? invalidToken();
  return result;
}
