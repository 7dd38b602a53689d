// The control plane's metrics: whether it answers, tenants by status, the migration backlog and
// failures, the fleet per cluster (fleet.ts), and the onboardings and offboardings of this process.
import { Counter, Gauge, type Registry } from 'prom-client';
import { listOrganizations, orgStatuses } from '../control/organizations.ts';
import type { TenantContext } from '../tenants/context.ts';
import type { MigrationJob } from '../tenants/migration-job.ts';
import { registerFleetMetrics } from './fleet.ts';

export interface ControlMetrics {
  onboarded: Counter;
  offboarded: Counter;
}

/** Runs a control-plane read for a metric: undefined when the control plane does not answer. */
export const fromControl = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
  try {
    return await read();
  } catch {
    return undefined;
  }
};

export function registerControlMetrics(
  registry: Registry,
  deps: { tenants: TenantContext; migrationJob?: MigrationJob | undefined },
): ControlMetrics {
  // The control plane down must not take every metric with it: its figures keep their last values
  // and modernpos_control_plane_up says 0.
  new Gauge({
    name: 'modernpos_control_plane_up',
    help: 'Whether this scrape could read the control plane',
    registers: [registry],
    async collect() {
      this.set((await fromControl(() => deps.tenants.control.query('SELECT 1'))) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'modernpos_tenants',
    help: 'Organizations in the control plane by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const orgs = await fromControl(() => listOrganizations(deps.tenants.control));
      if (!orgs) return;
      const counts = new Map<string, number>(orgStatuses.map((s) => [s, 0]));
      for (const org of orgs) counts.set(org.status, (counts.get(org.status) ?? 0) + 1);
      for (const [status, n] of counts) this.set({ status }, n);
    },
  });
  registerFleetMetrics(registry, deps.tenants);
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
