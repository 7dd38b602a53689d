// Prometheus metrics of the cloud process, in a registry of its own (no global default registry):
// the control plane (tenants by status, onboardings, migration backlog), each tenant (database size,
// queries, errors), the resolver's pools, sync (connections, batches, their latency) and each device
// as this process last heard from it (backlog, oldest unsynced sale, last seen).
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { mapBounded } from '../../src/concurrency.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { listOrganizations, orgStatuses } from '../control/organizations.ts';
import type { ResolverObserver, TenantResolver } from '../resolver/tenant-resolver.ts';
import type { SyncObserver } from '../sync/session-deps.ts';
import type { TenantContext } from '../tenants/context.ts';
import type { MigrationJob } from '../tenants/migration-job.ts';
import { registerFleetMetrics } from './fleet-metrics.ts';

export interface CloudMetrics {
  registry: Registry;
  onboarded: Counter;
  offboarded: Counter;
  /** Give to the resolver: times every tenant query and lease. */
  tenantQueries: ResolverObserver;
  /** Give to the sync endpoint: devices and batches. */
  sync: SyncObserver;
}

/** Tenant database sizes are read at most this often (a scrape must stay cheap with many tenants). */
const SIZE_TTL_MS = 60_000;
/** How long a disconnected device's figures stay in /metrics. */
const DEVICE_TTL_MS = 3600_000;
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createCloudMetrics(deps: {
  tenants: TenantContext;
  resolver: TenantResolver;
  migrationJob?: MigrationJob | undefined;
}): CloudMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'modernpos_' });
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
  const fromControl = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch {
      return undefined;
    }
  };
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

  // Sync: connections, batches and, per device, what it last told this process.
  const connections = new Gauge({
    name: 'modernpos_sync_connections',
    help: 'Devices connected to this process',
    registers: [registry],
  });
  const batches = new Counter({
    name: 'modernpos_sync_batches_total',
    help: 'Pushed batches answered: applied (acknowledged), seq_gap, seq_conflict or failed',
    labelNames: ['result'],
    registers: [registry],
  });
  const mutations = new Counter({
    name: 'modernpos_sync_mutations_total',
    help: 'Pushed mutations acknowledged: applied, duplicate or rejected (quarantined)',
    labelNames: ['status'],
    registers: [registry],
  });
  const batchDuration = new Histogram({
    name: 'modernpos_sync_batch_duration_seconds',
    help: 'From a push being taken up to its answer (the tenant transaction included)',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  interface DeviceState {
    org: string;
    device: string;
    connected: number;
    lastSeen: number;
    /** When this process last acknowledged the device (a push acked, or an empty outbox reported). */
    lastSync?: number;
    /** When the device last reported an empty outbox to this process. */
    outboxEmpty?: number;
    pending?: number;
    oldestPendingAt?: number | null | undefined;
  }
  const devices = new Map<string, DeviceState>();
  /**
   * A device gone from this process for an hour is forgotten (it reconnected elsewhere, was revoked
   * or its tenant left), so the series do not grow with every device a process ever saw.
   */
  const forgetGone = (now: number) => {
    for (const [key, d] of devices)
      if (d.connected === 0 && now - d.lastSeen > DEVICE_TTL_MS) devices.delete(key);
  };
  const deviceGauge = (
    name: string,
    help: string,
    value: (d: DeviceState, now: number) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ['org', 'device'],
      registers: [registry],
      collect() {
        this.reset();
        const now = Date.now();
        forgetGone(now);
        for (const d of devices.values()) {
          const v = value(d, now);
          if (v !== undefined) this.set({ org: d.org, device: d.device }, v);
        }
      },
    });
  deviceGauge(
    'modernpos_device_last_seen_timestamp_seconds',
    'When the device last said hello, pinged or pushed (as this process heard it)',
    (d) => d.lastSeen / 1000,
  );
  deviceGauge(
    'modernpos_device_last_sync_timestamp_seconds',
    'When this process last acknowledged the device: a push batch acked, or a hello or ping reporting an empty outbox',
    (d) => (d.lastSync === undefined ? undefined : d.lastSync / 1000),
  );
  deviceGauge(
    'modernpos_device_outbox_empty_timestamp_seconds',
    'When the device last reported an empty outbox to this process (hello or ping, protocol 2 edges)',
    (d) => (d.outboxEmpty === undefined ? undefined : d.outboxEmpty / 1000),
  );
  deviceGauge('modernpos_device_connected', 'Whether the device is connected to this process', (d) =>
    d.connected > 0 ? 1 : 0,
  );
  deviceGauge(
    'modernpos_device_backlog',
    'Mutations the device had not had acknowledged when it last reported (protocol 2 edges)',
    (d) => d.pending,
  );
  deviceGauge(
    'modernpos_device_oldest_unsynced_seconds',
    "Age of the device's oldest unacknowledged mutation, from its last report (0 when none)",
    (d, now) =>
      d.oldestPendingAt === undefined
        ? undefined
        : d.oldestPendingAt === null
          ? 0
          : Math.max(0, (now - d.oldestPendingAt) / 1000),
  );
  const deviceOf = (org: string, device: string) => {
    const key = `${org}/${device}`;
    let d = devices.get(key);
    if (!d) {
      d = { org, device, connected: 0, lastSeen: Date.now() };
      devices.set(key, d);
    }
    return d;
  };

  return {
    registry,
    tenantQueries: {
      query(org, seconds, failed) {
        queryDuration.observe({ outcome: failed ? 'error' : 'ok' }, seconds);
        queries.inc({ org });
        querySeconds.inc({ org }, seconds);
        if (failed) queryErrors.inc({ org });
      },
      leaseWait: (seconds) => leaseWait.observe(seconds),
    },
    sync: {
      deviceSeen(org, device, backlog) {
        const d = deviceOf(org, device);
        d.lastSeen = Date.now();
        if (backlog) {
          d.pending = backlog.pending;
          // Kept as an instant on this process's clock, so the age goes on growing between reports.
          d.oldestPendingAt =
            backlog.oldestPendingAgeSeconds === null
              ? null
              : Date.now() - backlog.oldestPendingAgeSeconds * 1000;
        }
      },
      deviceSynced(org, device, outboxEmpty) {
        const d = deviceOf(org, device);
        d.lastSync = Date.now();
        if (outboxEmpty) d.outboxEmpty = d.lastSync;
      },
      deviceConnected(org, device) {
        deviceOf(org, device).connected++;
        connections.inc();
      },
      deviceGone(org, device) {
        const d = deviceOf(org, device);
        d.connected = Math.max(0, d.connected - 1);
        connections.dec();
      },
      batch(_org, seconds, result, statuses) {
        batches.inc({ result });
        batchDuration.observe(seconds);
        for (const status of statuses ?? []) mutations.inc({ status });
      },
    },
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
