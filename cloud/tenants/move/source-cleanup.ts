// After a move switches, the source database is kept (its role unable to log in) for a grace period
// in case the operator wants to look back; then this job drops it and its role. Run by the cloud
// service on an interval (MODERNPOS_MOVE_GRACE_HOURS sets the grace period) and audited.

import { sanitizeText } from '../../../src/domain/bounds.ts';
import { tenantDatabaseName } from '../../../src/domain/org-id.ts';
import { isAppError } from '../../../src/errors.ts';
import { audit } from '../../control/audit.ts';
import { getOrganization } from '../../control/organizations.ts';
import { keptSources, markSourceDropped } from '../../control/tenant-moves.ts';
import { type TenantContext, withOrgLock } from '../context.ts';

export interface SourceCleanup {
  dropped: string[];
  failed: { orgId: string; cluster: string; error: string }[];
}

/** Drops every source kept longer than `graceMs`; a cluster that does not answer is tried again next time. */
export async function dropExpiredSources(
  ctx: TenantContext,
  graceMs: number,
  now = new Date(),
): Promise<SourceCleanup> {
  const result: SourceCleanup = { dropped: [], failed: [] };
  for (const move of await keptSources(ctx.control, new Date(now.getTime() - graceMs))) {
    const database = tenantDatabaseName(move.orgId);
    try {
      // Under the org's lock: a move back onto that cluster (which drops the kept source itself) is
      // never raced.
      const dropped = await withOrgLock(ctx, move.orgId, async () => {
        const still = await ctx.control.query(
          'SELECT 1 FROM tenant_moves WHERE id = $1 AND source_dropped_at IS NULL',
          [move.id],
        );
        if (still.length === 0) return false;
        const org = await getOrganization(ctx.control, move.orgId);
        // Moved back onto the same cluster since: that database is the live one now.
        if (org?.cluster !== move.sourceCluster) {
          const engine = await ctx.clusters.engine(move.sourceCluster).catch((err: unknown) => {
            // The source's cluster was removed from the registry: nothing here can reach it any more.
            if (isAppError(err) && err.code === 'not_found') return undefined;
            throw err;
          });
          await engine?.dropDatabase(database);
          await engine?.roles.dropTenantRole(database);
        }
        await markSourceDropped(ctx.control, move.id);
        return true;
      });
      if (!dropped) continue;
      await audit(ctx.control, {
        actor: ctx.actor,
        action: 'tenant.move.source_dropped',
        orgId: move.orgId,
        details: { cluster: move.sourceCluster, switchedAt: move.switchedAt?.toISOString() ?? null },
      });
      result.dropped.push(move.orgId);
    } catch (err) {
      result.failed.push({
        orgId: move.orgId,
        cluster: move.sourceCluster,
        error: sanitizeText(err instanceof Error ? err.message : String(err), 200),
      });
    }
  }
  return result;
}

/** Runs `dropExpiredSources` every `intervalMs` until stopped (0: never). */
export function startSourceCleanup(
  ctx: TenantContext,
  options: { graceMs: number; intervalMs: number; onError?: (err: unknown) => void },
): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const timer =
    options.intervalMs > 0
      ? setInterval(() => {
          if (running) return;
          running = dropExpiredSources(ctx, options.graceMs)
            .catch((err) => options.onError?.(err))
            .finally(() => {
              running = undefined;
            });
        }, options.intervalMs)
      : undefined;
  timer?.unref();
  return {
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
  };
}
