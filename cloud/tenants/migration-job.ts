// The background rollout: on start and then on an interval, migrate every active or suspended tenant
// whose schema is behind this build, at most `concurrency` at once on each cluster. Tenants whose requests are waiting (refused `tenant_migrating`)
// are taken first, and a request to a tenant behind starts a pass at once rather than at the next
// interval. Exposes the backlog, the waiting tenants and the last failures for /metrics and /readyz.
import { latestVersion } from '../../src/migrate/files.ts';
import { getOrganization, listOrganizations, type Organization } from '../control/organizations.ts';
import type { TenantContext } from './context.ts';
import { migrateTenantReporting, summarize, type TenantMigration } from './migrate.ts';
import { outdatedTenants } from './queries.ts';

export interface MigrationJobOptions {
  /** 0 runs once at start and never again (except for tenants whose requests wait). */
  intervalMs: number;
  /** Tenants migrated at once on each cluster. */
  concurrency: number;
  /** A tenant whose migration failed is not taken out of turn again for this long (default 30 s). */
  retryFailedAfterMs?: number;
  onError?: (err: unknown) => void;
  onRun?: (summary: { migrated: number; failed: TenantMigration[] }) => void;
  /** Told of each tenant as its migration ends, in the order they end. */
  onTenant?: (outcome: TenantMigration) => void;
  now?: () => number;
}

export interface MigrationJobStats {
  backlog: number;
  /** How many tenants had requests refused `tenant_migrating` and are not taken yet (a count: /readyz is public). */
  waiting: number;
  failures: { orgId: string; error: string }[];
  runs: number;
  running: boolean;
  lastRunAt: string | null;
}

export interface MigrationJob {
  start(): void;
  /** Runs one pass now (and waits for it). */
  runOnce(): Promise<void>;
  /**
   * A request for `orgId` was refused because its schema is behind: take it before the others, and
   * start a pass now if the job is started and idle.
   */
  request(orgId: string): void;
  stats(): MigrationJobStats;
  stop(): Promise<void>;
}

type Behind = Pick<Organization, 'id' | 'schemaVersion' | 'cluster'>;

export function createMigrationJob(ctx: TenantContext, options: MigrationJobOptions): MigrationJob {
  const now = options.now ?? Date.now;
  const retryFailedAfterMs = options.retryFailedAfterMs ?? 30_000;
  const latest = latestVersion(ctx.tenantMigrations);
  let backlog = 0;
  let failures: MigrationJobStats['failures'] = [];
  /** Insertion order is arrival order: the longest-waiting tenant goes first. */
  const waiting = new Set<string>();
  const failedAt = new Map<string, number>();
  let runs = 0;
  let lastRunAt: string | null = null;
  let current: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let stopped = false;

  /** The org if it still needs this job (live and behind), read now: it may have changed since it waited. */
  const stillBehind = async (orgId: string): Promise<Behind | undefined> => {
    const org = await getOrganization(ctx.control, orgId);
    const live = org?.status === 'active' || org?.status === 'suspended';
    return org && live && org.schemaVersion < latest ? org : undefined;
  };

  const pass = async () => {
    try {
      const listed = (await listOrganizations(ctx.control, ['active', 'suspended'])).filter(
        (o) => o.schemaVersion < latest,
      );
      const queue = new Map<string, Behind>(listed.map((o) => [o.id, o]));
      const taken = new Set<string>();
      /** Waiting tenants already read back, not yet started (their cluster was at its limit). */
      const priority: Behind[] = [];
      const perCluster = Math.max(1, Math.min(options.concurrency, 64));
      const inFlight = new Map<string, number>();
      const hasRoom = (org: Behind) => (inFlight.get(org.cluster) ?? 0) < perCluster;
      const start = (org: Behind) => {
        inFlight.set(org.cluster, (inFlight.get(org.cluster) ?? 0) + 1);
        return org;
      };
      /**
       * The next tenant whose cluster has room: a waiting one first, then the rest in listing order.
       * Undefined when none has room: the workers busy on those clusters take them when they finish.
       */
      const take = async (): Promise<Behind | undefined> => {
        for (const orgId of waiting) {
          waiting.delete(orgId);
          if (taken.has(orgId)) continue;
          taken.add(orgId);
          queue.delete(orgId);
          const org = await stillBehind(orgId);
          if (org) priority.push(org);
        }
        const first = priority.findIndex(hasRoom);
        if (first >= 0) return start(priority.splice(first, 1)[0]!);
        for (const [orgId, org] of queue) {
          if (taken.has(orgId)) {
            queue.delete(orgId);
            continue;
          }
          if (!hasRoom(org)) continue;
          queue.delete(orgId);
          taken.add(orgId);
          return start(org);
        }
        return undefined;
      };
      const results: TenantMigration[] = [];
      const worker = async () => {
        for (let org = await take(); org && !stopped; org = await take()) {
          try {
            const outcome = await migrateTenantReporting(ctx, org);
            if (outcome.ok) failedAt.delete(org.id);
            else failedAt.set(org.id, now());
            results.push(outcome);
            options.onTenant?.(outcome);
          } finally {
            inFlight.set(org.cluster, (inFlight.get(org.cluster) ?? 1) - 1);
          }
        }
      };
      const clusters = new Set(listed.map((o) => o.cluster)).size;
      const workers = perCluster * Math.max(1, clusters);
      await Promise.all(Array.from({ length: workers }, worker));
      const summary = summarize(latest, results);
      failures = summary.failed.map((f) => ({ orgId: f.orgId, error: f.error ?? 'unknown error' }));
      backlog = (await outdatedTenants(ctx)).length;
      options.onRun?.({ migrated: summary.migrated, failed: summary.failed });
    } catch (err) {
      options.onError?.(err);
    } finally {
      runs++;
      lastRunAt = new Date().toISOString();
    }
  };

  const runOnce = (): Promise<void> => {
    current ??= pass().finally(() => {
      current = undefined;
      // Requests that arrived after the workers finished: another pass, not the next interval.
      if (started && !stopped && waiting.size > 0) void runOnce();
    });
    return current;
  };

  return {
    start() {
      if (stopped || started) return;
      started = true;
      void runOnce();
      if (options.intervalMs > 0) {
        timer = setInterval(() => void runOnce(), options.intervalMs);
        timer.unref();
      }
    },
    runOnce,
    request(orgId) {
      if (stopped) return;
      // A tenant that just failed waits for the interval: every refused request must not retry it.
      const failed = failedAt.get(orgId);
      if (failed !== undefined && now() - failed < retryFailedAfterMs) return;
      waiting.add(orgId);
      if (started && current === undefined) void runOnce();
    },
    stats: () => ({
      backlog,
      waiting: waiting.size,
      failures,
      runs,
      running: current !== undefined,
      lastRunAt,
    }),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await current;
    },
  };
}
