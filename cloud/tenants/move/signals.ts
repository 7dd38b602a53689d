// "This tenant's routing changed" between cloud processes: a move that freezes, thaws or switches a
// tenant tells every process (LISTEN/NOTIFY on the control database), whose resolver then forgets the
// tenant's cached DSN and status and retires its pool. A process that misses it still reads the
// control plane again within its DSN TTL, and the source's fence refuses it meanwhile.
import type { Notifications } from '../../control/notifications.ts';
import type { TenantContext } from '../context.ts';

export const TENANT_CHANNEL = 'modernpos_tenants';

/** Tells this process (ctx.onTenantChanged) and, on Postgres, every other one. */
export async function tenantRoutingChanged(ctx: TenantContext, orgId: string): Promise<void> {
  if (ctx.engine.kind === 'postgres') {
    await ctx.control.query('SELECT pg_notify($1, $2)', [TENANT_CHANNEL, orgId]).catch(() => {});
  }
  await ctx.onTenantChanged?.(orgId);
}

/** Invalidates `orgId` in this process's resolver whenever another process says its routing changed. */
export function listenTenantRouting(
  notifications: Notifications,
  invalidate: (orgId: string) => Promise<void>,
): Promise<() => Promise<void>> {
  return notifications.listen(TENANT_CHANNEL, (orgId) => {
    void invalidate(orgId).catch(() => {});
  });
}
