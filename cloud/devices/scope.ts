// A device's scope as the tenant database knows it: its branch and the tenant's currency. Pushed
// documents are checked against it (cloud/sync/validate.ts), and so are replayed quarantined ones
// (cloud/sync/quarantine.ts). Terminals are claimed from the documents themselves.
import type { SqlQueryable } from '../../src/db/sql.ts';

export interface DeviceScope {
  branchCode: string;
  currency: string;
}

export async function deviceScope(tx: SqlQueryable, deviceId: string): Promise<DeviceScope> {
  const [device] = await tx.query<{ branch: string }>(
    'SELECT b.code AS branch FROM devices d JOIN branches b ON b.id = d.branch_id WHERE d.id = $1',
    [deviceId],
  );
  return { branchCode: device?.branch ?? '', currency: await tenantCurrency(tx) };
}

/** The tenant's currency (its `settings` row), or '' before one was set. */
export async function tenantCurrency(tx: SqlQueryable): Promise<string> {
  const [currency] = await tx.query<{ value: string }>("SELECT value FROM settings WHERE key = 'currency'");
  return currency?.value ?? '';
}
