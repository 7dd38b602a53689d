// Each tenant's metrics: the resolver's pools and leases, each tenant database's size (read at most
// once a minute, each on its own cluster), and its queries' count, time and errors.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { mapBounded } from '../../src/concurrency.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { listOrganizations } from '../control/organizations.ts';
import type { ResolverObserver, TenantResolver } from '../resolver/tenant-resolver.ts';
import type { TenantContext } from '../tenants/context.ts';
import { fromControl } from './control.ts';
import { LATENCY_BUCKETS } from './latency.ts';

/** Tenant database sizes are read at most this often (a scrape must stay cheap with many tenants). */
const SIZE_TTL_MS = 60_000;

/** Registers the tenant metrics; returns the observer to give the resolver (times every tenant query and lease). */
export function registerTenantMetrics(
  registry: Registry,
  deps: { tenants: TenantContext; resolver: TenantResolver },
): ResolverObserver {
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
  // Each tenant: its database's size (cached), and its queries' count, time and errors.
  let sizes: { at: number; bytes: Map<string, number> } | undefined;
  new Gauge({
    name: 'modernpos_tenant_database_bytes',
    help: 'Size of each active or suspended tenant database (read at most once a minute)',
    labelNames: ['org'],
    registers: [registry],
    async collect() {
      const stale = !sizes || Date.now() - sizes.at > SIZE_TTL_MS;
      const orgs = stale
        ? await fromControl(() => listOrganizations(deps.tenants.control, ['active', 'suspended']))
        : undefined;
      if (orgs) {
        const read = await mapBounded(orgs, 4, async (o) => {
          // Each tenant on its own cluster's engine: a cluster that is down loses only its tenants' sizes.
          const bytes = await deps.tenants.clusters
            .engine(o.cluster)
            .then((engine) => engine.databaseSizeBytes(tenantDatabaseName(o.id)))
            .catch(() => undefined);
          return [o.id, bytes] as const;
        });
        sizes = {
          at: Date.now(),
          bytes: new Map(read.filter((r): r is readonly [string, number] => r[1] !== undefined)),
        };
      }
      this.reset();
      for (const [org, bytes] of sizes?.bytes ?? []) this.set({ org }, bytes);
    },
  });
  const queryDuration = new Histogram({
    name: 'modernpos_tenant_query_duration_seconds',
    help: 'Statements and transactions on tenant databases, all tenants',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const queries = new Counter({
    name: 'modernpos_tenant_queries_total',
    help: 'Statements and transactions per tenant',
    labelNames: ['org'],
    registers: [registry],
  });
  const querySeconds = new Counter({
    name: 'modernpos_tenant_query_seconds_total',
    help: 'Time spent in statements and transactions per tenant',
    labelNames: ['org'],
    registers: [registry],
  });
  const queryErrors = new Counter({
    name: 'modernpos_tenant_query_errors_total',
    help: 'Statements and transactions per tenant that failed',
    labelNames: ['org'],
    registers: [registry],
  });
  const leaseWait = new Histogram({
    name: 'modernpos_tenant_pool_wait_seconds',
    help: 'Time to get a tenant database lease (DSN lookup, room in the pool budget, pool opening)',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });

  return {
    query(org, seconds, failed) {
      queryDuration.observe({ outcome: failed ? 'error' : 'ok' }, seconds);
      queries.inc({ org });
      querySeconds.inc({ org }, seconds);
      if (failed) queryErrors.inc({ org });
    },
    leaseWait: (seconds) => leaseWait.observe(seconds),
  };
}
