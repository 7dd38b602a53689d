// The fleet's metrics, registered into the cloud's /metrics registry by control.ts: each cluster
// (tenants, size, backends, reachable, draining, tenants behind the schema, moves in progress and
// their lag) and the control plane's lifecycle counts read from its audit trail (onboardings,
// offboardings, moves, restores and backups, by outcome). Read at most every FLEET_TTL_MS, so a scrape
// stays cheap however many clusters and audit rows there are; a cluster that does not answer costs at
// most its probe timeout and shows reachable 0.
import { Gauge, type Registry } from 'prom-client';
import { movesInProgress } from '../clusters/move-progress.ts';
import { type ClusterView, listClusterViews } from '../clusters/registry.ts';
import type { TenantContext } from '../tenants/context.ts';

export const FLEET_TTL_MS = 15_000;

/**
 * Audit actions counted as lifecycle outcomes: `operation` and `outcome` labels of
 * modernpos_tenant_operations. Moves are counted by their action's last word (completed, failed,
 * aborted, refused …) whatever steps the move audits in between.
 */
const LIFECYCLE: Record<string, { operation: string; outcome: string }> = {
  'tenant.onboard.completed': { operation: 'onboard', outcome: 'completed' },
  'tenant.onboard.refused': { operation: 'onboard', outcome: 'refused' },
  'tenant.onboard.resumed': { operation: 'onboard', outcome: 'resumed' },
  'tenant.offboard.completed': { operation: 'offboard', outcome: 'completed' },
  'tenant.offboard.started': { operation: 'offboard', outcome: 'started' },
  'tenant.restored': { operation: 'restore', outcome: 'completed' },
  'tenant.restore.refused': { operation: 'restore', outcome: 'refused' },
  'tenant.backed_up': { operation: 'backup', outcome: 'completed' },
  'tenant.backup.refused': { operation: 'backup', outcome: 'refused' },
  'tenant.import.completed': { operation: 'import', outcome: 'completed' },
  'tenant.import.failed': { operation: 'import', outcome: 'failed' },
  'tenant.import.refused': { operation: 'import', outcome: 'refused' },
};
const MOVE_OUTCOMES = new Set(['completed', 'failed', 'aborted', 'refused', 'rolled_back', 'started']);

export interface FleetSnapshot {
  at: number;
  clusters: ClusterView[];
  lifecycle: Map<string, { operation: string; outcome: string; count: number }>;
}

/** Reads the fleet once: the clusters live, the control plane's counts. */
export async function readFleet(ctx: TenantContext): Promise<FleetSnapshot> {
  const [clusters, actionRows] = await Promise.all([
    listClusterViews(ctx),
    ctx.control.query<{ action: string; n: unknown }>(
      `SELECT action, count(*) AS n FROM audit_logs
        WHERE action = ANY($1::text[]) OR action LIKE 'tenant.move.%' GROUP BY action`,
      [Object.keys(LIFECYCLE)],
    ),
  ]);
  const lifecycle = new Map<string, { operation: string; outcome: string; count: number }>();
  for (const [action, labels] of Object.entries(LIFECYCLE)) {
    lifecycle.set(action, { ...labels, count: 0 });
  }
  for (const outcome of ['completed', 'failed', 'aborted']) {
    lifecycle.set(`tenant.move.${outcome}`, { operation: 'move', outcome, count: 0 });
  }
  for (const r of actionRows) {
    const known = LIFECYCLE[r.action];
    const moveOutcome = r.action.startsWith('tenant.move.') ? r.action.split('.').at(-1)! : undefined;
    if (known) lifecycle.set(r.action, { ...known, count: Number(r.n) });
    else if (moveOutcome && MOVE_OUTCOMES.has(moveOutcome)) {
      lifecycle.set(r.action, { operation: 'move', outcome: moveOutcome, count: Number(r.n) });
    }
  }
  return {
    at: Date.now(),
    clusters,
    lifecycle,
  };
}

/** Registers the fleet gauges on `registry`; each scrape reuses a snapshot younger than FLEET_TTL_MS. */
export function registerFleetMetrics(registry: Registry, ctx: TenantContext): void {
  let snapshot: FleetSnapshot | undefined;
  let reading: Promise<FleetSnapshot | undefined> | undefined;
  const fleet = async (): Promise<FleetSnapshot | undefined> => {
    if (snapshot && Date.now() - snapshot.at < FLEET_TTL_MS) return snapshot;
    // One read shared by every gauge of a scrape (and by concurrent scrapes).
    reading ??= readFleet(ctx)
      .then((s) => {
        snapshot = s;
        return s;
      })
      .catch(() => snapshot)
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  const perCluster = (name: string, help: string, value: (c: ClusterView) => number | null) =>
    new Gauge({
      name,
      help,
      labelNames: ['cluster'],
      registers: [registry],
      async collect() {
        const s = await fleet();
        if (!s) return;
        this.reset();
        for (const c of s.clusters) {
          const v = value(c);
          if (v !== null) this.set({ cluster: c.name }, v);
        }
      },
    });
  perCluster(
    'modernpos_cluster_reachable',
    'Whether the cluster answered its last probe (1) or not (0)',
    (c) => (c.reachable ? 1 : 0),
  );
  perCluster('modernpos_cluster_draining', 'Whether the cluster is draining (takes no new tenants)', (c) =>
    c.status === 'draining' ? 1 : 0,
  );
  perCluster(
    'modernpos_cluster_tenants',
    "This control plane's tenants on the cluster (not offboarded)",
    (c) => c.tenants,
  );
  perCluster(
    'modernpos_cluster_size_bytes',
    "Total size of this control plane's tenant databases on the cluster (absent while unreachable)",
    (c) => c.sizeBytes,
  );
  perCluster(
    'modernpos_cluster_backends',
    'Client backends in use on the whole server (absent while unreachable, and on the embedded engine)',
    (c) => c.backends,
  );
  perCluster('modernpos_cluster_max_connections', "The server's max_connections", (c) => c.maxConnections);
  perCluster(
    'modernpos_cluster_schema_backlog',
    "Active or suspended tenants on the cluster behind this build's tenant schema (read from the control plane)",
    (c) => c.schemaBacklog,
  );
  new Gauge({
    name: 'modernpos_tenant_operations',
    help: 'Lifecycle operations recorded in the control plane (all processes, all time) by operation and outcome',
    labelNames: ['operation', 'outcome'],
    registers: [registry],
    async collect() {
      const s = await fleet();
      if (!s) return;
      this.reset();
      const sums = new Map<string, { operation: string; outcome: string; count: number }>();
      for (const l of s.lifecycle.values()) {
        const key = `${l.operation}/${l.outcome}`;
        const sum = sums.get(key) ?? { ...l, count: 0 };
        sum.count += l.count;
        sums.set(key, sum);
      }
      for (const l of sums.values()) this.set({ operation: l.operation, outcome: l.outcome }, l.count);
    },
  });
  new Gauge({
    name: 'modernpos_tenant_move_lag_bytes',
    help: 'WAL bytes the target of a move in progress has still to apply (moves run by this process)',
    labelNames: ['org', 'from', 'to', 'step'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of movesInProgress()) {
        if (m.lagBytes !== null) this.set({ org: m.orgId, from: m.from, to: m.to, step: m.step }, m.lagBytes);
      }
    },
  });
  new Gauge({
    name: 'modernpos_tenant_moves_in_progress',
    help: 'Tenant moves running in this process, per target cluster',
    labelNames: ['to'],
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, number>();
      for (const m of movesInProgress()) counts.set(m.to, (counts.get(m.to) ?? 0) + 1);
      for (const [to, n] of counts) this.set({ to }, n);
    },
  });
}
