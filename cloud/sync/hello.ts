// The hello's work in the tenant's database: the token's device, the binding to one edge database,
// the terminals claimed, the tenant's currency and the device row's contact time.
import type { SqlDatabase } from '../../src/db/sql.ts';
import { closeCodes } from '../../src/protocol/errors.ts';
import type { Hello } from '../../src/protocol/messages.ts';
import { findDeviceByToken } from '../devices/devices.ts';
import { touchDevice } from '../devices/last-seen.ts';
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
  // Bind the token to the first edge database that syncs with it; another database is refused,
  // or its first sales would be taken for duplicates of the first one's.
  const [bound] = await db.query<{ store_id: string }>(
    'UPDATE devices SET store_id = coalesce(store_id, $2) WHERE id = $1 RETURNING store_id',
    [device.id, message.storeId],
  );
  if (bound?.store_id !== message.storeId) {
    throw new Refusal(
      'device_in_use',
      'this device token is bound to another edge database; register a new device for this one',
      closeCodes.unauthorized,
    );
  }
  const terminals = await claimTerminals(db, device.id, message.terminals, now().toISOString());
  const [currency] = await db.query<{ value: string }>("SELECT value FROM settings WHERE key = 'currency'");
  await touchDevice(db, device.id, now(), message.backlog);
  return { device, terminals, currency: currency?.value ?? '', cursor: await latestCursor(db) };
}
