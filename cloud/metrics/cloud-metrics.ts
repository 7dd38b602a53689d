// Prometheus metrics of the cloud process, in a registry of its own (no global default registry):
// the process itself, the control plane (control.ts), each tenant (tenant.ts) and sync (sync.ts).
import { type Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { ResolverObserver, TenantResolver } from '../resolver/tenant-resolver.ts';
import type { TenantContext } from '../tenants/context.ts';
import type { MigrationJob } from '../tenants/migration-job.ts';
import { registerControlMetrics } from './control.ts';
import { registerSyncMetrics, type SyncObserver } from './sync.ts';
import { registerTenantMetrics } from './tenant.ts';

export interface CloudMetrics {
  registry: Registry;
  onboarded: Counter;
  offboarded: Counter;
  /** Give to the resolver: times every tenant query and lease. */
  tenantQueries: ResolverObserver;
  /** Give to the sync endpoint: devices and batches. */
  sync: SyncObserver;
}

export function createCloudMetrics(deps: {
  tenants: TenantContext;
  resolver: TenantResolver;
  migrationJob?: MigrationJob | undefined;
}): CloudMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'modernpos_' });
  const control = registerControlMetrics(registry, deps);
  const tenantQueries = registerTenantMetrics(registry, deps);
  const sync = registerSyncMetrics(registry);
  return { registry, ...control, tenantQueries, sync };
}
