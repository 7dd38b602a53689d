// Prometheus metrics of the cloud process, in a registry of its own (no global default registry).
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { listOrganizations, orgStatuses } from '../control/organizations.ts';
import type { TenantResolver } from '../resolver/tenant-resolver.ts';
import type { TenantContext } from '../tenants/context.ts';
import type { MigrationJob } from '../tenants/migration-job.ts';

export interface CloudMetrics {
  registry: Registry;
  onboarded: Counter;
  offboarded: Counter;
}

export function createCloudMetrics(deps: {
  tenants: TenantContext;
  resolver: TenantResolver;
  migrationJob?: MigrationJob | undefined;
}): CloudMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'modernpos_' });
  new Gauge({
    name: 'modernpos_tenants',
    help: 'Organizations in the control plane by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = new Map<string, number>(orgStatuses.map((s) => [s, 0]));
      for (const org of await listOrganizations(deps.tenants.control))
        counts.set(org.status, (counts.get(org.status) ?? 0) + 1);
      for (const [status, n] of counts) this.set({ status }, n);
    },
  });
  const resolverGauge = (
    name: string,
    help: string,
    pick: (s: ReturnType<TenantResolver['stats']>) => number,
  ) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pick(deps.resolver.stats()));
      },
    });
  resolverGauge('modernpos_tenant_pools', 'Open tenant connection pools', (s) => s.pools);
  resolverGauge('modernpos_tenant_pool_leases', 'Tenant database leases held right now', (s) => s.leases);
  resolverGauge(
    'modernpos_tenant_pool_waiting',
    'Callers waiting for room in the pool budget',
    (s) => s.waiting,
  );
  resolverGauge('modernpos_tenant_pools_evicted', 'Tenant pools ended since start', (s) => s.poolsEvicted);
  new Gauge({
    name: 'modernpos_migration_backlog',
    help: 'Active or suspended tenants behind the latest schema (as of the last background pass)',
    registers: [registry],
    collect() {
      this.set(deps.migrationJob?.stats().backlog ?? 0);
    },
  });
  new Gauge({
    name: 'modernpos_migration_failures',
    help: 'Tenants whose migration failed in the last background pass',
    registers: [registry],
    collect() {
      this.set(deps.migrationJob?.stats().failures.length ?? 0);
    },
  });
  return {
    registry,
    onboarded: new Counter({
      name: 'modernpos_tenants_onboarded_total',
      help: 'Tenants onboarded by this process',
      registers: [registry],
    }),
    offboarded: new Counter({
      name: 'modernpos_tenants_offboarded_total',
      help: 'Tenants offboarded by this process',
      registers: [registry],
    }),
  };
}
