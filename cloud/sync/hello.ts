// The hello's work in the tenant's database: the token's device, the binding to one edge database,
// the terminals claimed, the tenant's currency and the device row's contact time.
import type { SqlDatabase } from '../../src/db/sql.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Hello } from '../../src/protocol/messages.ts';
import { findDeviceByToken } from '../devices/devices.ts';
import { touchDevice } from '../devices/last-seen.ts';
import { tenantCurrency } from '../devices/scope.ts';
import { bindStore } from '../devices/store-binding.ts';
import { latestCursor } from './pull.ts';
import { Refusal } from './refusal.ts';
import { claimTerminals } from './terminals.ts';

/** What the welcome is made of. */
export interface HelloTenant {
  device: NonNullable<Awaited<ReturnType<typeof findDeviceByToken>>>;
  terminals: Awaited<ReturnType<typeof claimTerminals>>;
  currency: string;
  cursor: Awaited<ReturnType<typeof latestCursor>>;
}

/** Runs inside the tenant's `withTenant`; a refused device throws a `Refusal`. */
export async function helloTenant(
  db: SqlDatabase,
  orgId: string,
  token: string,
  message: Hello,
  now: () => Date,
): Promise<HelloTenant> {
  const device = await findDeviceByToken(db, orgId, token);
  if (!device || device.revoked)
    throw new Refusal('unauthorized', 'the device token is not valid', closeCodes.unauthorized);
  if (!(await bindStore(db, device.id, message.storeId))) {
    throw new Refusal(
      'device_in_use',
      'this device token is bound to another edge database; register a new device for this one',
      closeCodes.unauthorized,
    );
  }
  const terminals = await claimTerminals(db, device.id, message.terminals, now().toISOString());
  const currency = await tenantCurrency(db);
  await touchDevice(db, device.id, now(), message.backlog);
  return { device, terminals, currency, cursor: await latestCursor(db) };
}
