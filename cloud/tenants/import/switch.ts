// The switch: in one control-plane transaction the tenant's sealed DSN is stored, its schema version
// set and its status moved from `provisioning` to `active`. After it the tenant lives in its database.
import { AppError } from '../../../src/errors.ts';
import { storeConnectionString } from '../../control/connection-strings.ts';
import { setSchemaVersion, setStatus } from '../../control/organizations.ts';
import type { TenantContext } from '../context.ts';

export async function switchToTenantDatabase(
  ctx: TenantContext,
  orgId: string,
  dsn: string,
  schemaVersion: number,
): Promise<void> {
  await ctx.control.transaction(async (tx) => {
    await storeConnectionString(tx, orgId, ctx.keyring.seal(dsn, orgId));
    await setSchemaVersion(tx, orgId, schemaVersion);
    if (!(await setStatus(tx, orgId, 'active', ['provisioning'])))
      throw new AppError('conflict', `organization ${orgId} left provisioning while it was being imported`);
  });
}
