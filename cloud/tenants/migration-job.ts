// The background rollout: on start and then on an interval, migrate every active or suspended tenant
// whose schema is behind this build. Exposes the backlog and the last failures for /metrics.
import type { TenantContext } from './context.ts';
import { migrateAllTenants, type TenantMigration } from './migrate.ts';
import { outdatedTenants } from './queries.ts';

export interface MigrationJobOptions {
  /** 0 runs once at start and never again. */
  intervalMs: number;
  concurrency: number;
  onError?: (err: unknown) => void;
  onRun?: (summary: { migrated: number; failed: TenantMigration[] }) => void;
}

export interface MigrationJobStats {
  backlog: number;
  failures: { orgId: string; error: string }[];
  runs: number;
  running: boolean;
  lastRunAt: string | null;
}

export interface MigrationJob {
  start(): void;
  /** Runs one pass now (and waits for it). */
  runOnce(): Promise<void>;
  stats(): MigrationJobStats;
  stop(): Promise<void>;
}

export function createMigrationJob(ctx: TenantContext, options: MigrationJobOptions): MigrationJob {
  let backlog = 0;
  let failures: MigrationJobStats['failures'] = [];
  let runs = 0;
  let lastRunAt: string | null = null;
  let current: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const pass = async () => {
    try {
      const summary = await migrateAllTenants(ctx, { concurrency: options.concurrency, outdatedOnly: true });
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

  const runOnce = () => {
    current ??= pass().finally(() => {
      current = undefined;
    });
    return current;
  };

  return {
    start() {
      if (stopped) return;
      void runOnce();
      if (options.intervalMs > 0) {
        timer = setInterval(() => void runOnce(), options.intervalMs);
        timer.unref();
      }
    },
    runOnce,
    stats: () => ({ backlog, failures, runs, running: current !== undefined, lastRunAt }),
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await current;
    },
  };
}
