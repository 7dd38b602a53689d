// A device's scope as the tenant database knows it: its branch and the tenant's currency. Terminals
// are claimed from the documents themselves (terminals.ts).
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { DeviceScope } from './validate.ts';

export async function deviceScope(tx: SqlQueryable, deviceId: string): Promise<DeviceScope> {
  const [device] = await tx.query<{ branch: string }>(
    'SELECT b.code AS branch FROM devices d JOIN branches b ON b.id = d.branch_id WHERE d.id = $1',
    [deviceId],
  );
  const [currency] = await tx.query<{ value: string }>("SELECT value FROM settings WHERE key = 'currency'");
  return { branchCode: device?.branch ?? '', currency: currency?.value ?? '' };
}
