// The edge agent's own /metrics (Prometheus text): what it has not synced yet, how old the oldest of
// it is, when the cloud last acknowledged it and when its outbox was last empty (docs/freshness.md),
// what the cloud quarantined, whether it is connected, and how long the cashier API takes to
// answer. Read from the store on each scrape, so they are never stale.
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EdgeStore } from '../store/store.ts';

export interface EdgeMetrics {
  registry: Registry;
  /** The Prometheus text, with the store's sync status read once for all the gauges that show it. */
  scrape(): Promise<string>;
  /** Records one cashier API request's duration by method, route pattern and status. */
  observeRequest(labels: RequestLabels, seconds: number): void;
}

export interface RequestLabels {
  method: string;
  route: string;
  status: string;
}

export function createEdgeMetrics(store: EdgeStore, connected?: () => boolean): EdgeMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ branch: store.branch });
  collectDefaultMetrics({ register: registry, prefix: 'modernpos_edge_' });
  type Status = ReturnType<EdgeStore['outbox']['status']>;
  /** Set by scrape() for the duration of one collection. */
  let status: Status | undefined;
  const fromStatus = (name: string, help: string, pick: (s: Status) => number | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const value = pick(status ?? store.outbox.status(store.now()));
        if (value !== null) this.set(value);
      },
    });
  fromStatus(
    'modernpos_edge_outbox_pending',
    'Mutations recorded here and not yet acknowledged by the cloud',
    (s) => s.pending,
  );
  fromStatus(
    'modernpos_edge_oldest_unsynced_seconds',
    'Age of the oldest mutation not yet acknowledged (0 when none)',
    (s) => s.oldestPendingAgeSeconds ?? 0,
  );
  fromStatus(
    'modernpos_edge_last_sync_timestamp_seconds',
    'When the cloud last acknowledged this edge: a push batch acked, or an exchange completed with nothing pending',
    (s) => (s.lastSyncAt === null ? null : Date.parse(s.lastSyncAt) / 1000),
  );
  fromStatus(
    'modernpos_edge_outbox_empty_timestamp_seconds',
    'When the outbox was last seen empty after an exchange with the cloud',
    (s) => (s.outboxEmptyAt === null ? null : Date.parse(s.outboxEmptyAt) / 1000),
  );
  fromStatus(
    'modernpos_edge_quarantined',
    'Mutations the cloud acknowledged as rejected (in its quarantine)',
    (s) => s.quarantined,
  );
  new Gauge({
    name: 'modernpos_edge_sync_connected',
    help: 'Whether the agent has a welcomed sync connection to the cloud',
    registers: [registry],
    collect() {
      this.set(connected?.() ? 1 : 0);
    },
  });
  const requests = new Histogram({
    name: 'modernpos_edge_http_request_duration_seconds',
    help: 'Cashier API requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  return {
    registry,
    async scrape() {
      status = store.outbox.status(store.now());
      try {
        return await registry.metrics();
      } finally {
        status = undefined;
      }
    },
    observeRequest(labels, seconds) {
      requests.observe(labels, seconds);
    },
  };
}
