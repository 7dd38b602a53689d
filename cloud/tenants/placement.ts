// Where a new tenant's database goes: the cluster asked for (`--cluster`), or the least-loaded cluster
// that takes new tenants (not draining), within the region asked for (`--region`) if any. Least
// loaded is the smallest total size of this control plane's tenant databases on it, then the fewest
// tenants, then the name, as read at most a TTL ago plus what this process placed there since
// (cloud/clusters/load-cache.ts). A tenant created in a region is never placed outside it.
import { AppError } from '../../src/errors.ts';
import { clusterLoad, databasesLoad } from '../clusters/load.ts';
import {
  type ClusterLoadCache,
  type ClusterReading,
  createClusterLoadCache,
} from '../clusters/load-cache.ts';
import { type ClusterRow, getCluster, listClusters, tenantsOnCluster } from '../control/clusters.ts';
import type { TenantContext } from './context.ts';

export interface PlacementRequest {
  cluster?: string | undefined;
  region?: string | undefined;
}

export interface Placement {
  cluster: string;
  /** The region the tenant is pinned to: only when it was asked for. */
  region: string | null;
}

export interface PlacementCandidate {
  name: string;
  sizeBytes: number;
  tenants: number;
}

/** The least loaded: smallest size, then fewest tenants, then name. */
export function leastLoaded<T extends PlacementCandidate>(candidates: readonly T[]): T | undefined {
  return [...candidates].sort(
    (a, b) => a.sizeBytes - b.sizeBytes || a.tenants - b.tenants || a.name.localeCompare(b.name),
  )[0];
}

const regionOf = (c: ClusterRow) => c.region ?? 'none';

/**
 * The cache of cluster loads this process keeps; a context without one reads every cluster for every
 * placement.
 */
const loadsOf = (ctx: TenantContext): ClusterLoadCache =>
  ctx.clusterLoads ?? createClusterLoadCache({ ttlMs: 0 });

/** Placement's real read of a cluster: its tenants (from the control plane), their total size and its template's. */
export async function readPlacementLoad(ctx: TenantContext, cluster: string): Promise<ClusterReading> {
  const orgIds = await tenantsOnCluster(ctx.control, cluster);
  const [load, template] = await Promise.all([
    clusterLoad(ctx.clusters, cluster, orgIds),
    databasesLoad(ctx.clusters, cluster, [ctx.templateDatabase]),
  ]);
  if (!load.reachable) return load;
  return {
    reachable: true,
    sizeBytes: load.sizeBytes,
    tenants: orgIds.length,
    templateBytes: template.reachable ? template.sizeBytes : 0,
  };
}

/** The refusal of a cluster that does not answer: nothing was written. */
export function unreachableCluster(cluster: string, error: string): AppError {
  return new AppError(
    'database_unavailable',
    `cluster ${cluster} is unreachable (${error}); nothing was created`,
  );
}

/**
 * Refuses, before anything is written, a cluster this process lately found unreachable. One not
 * known to be down is not asked here: onboarding reaches it first thing after registering the org,
 * and refuses cleanly then (cloud/tenants/unregistered-database.ts).
 */
function refuseKnownUnreachable(loads: ClusterLoadCache, cluster: string): void {
  const error = loads.knownUnreachable(cluster);
  if (error !== undefined) throw unreachableCluster(cluster, error);
}

/** Chooses the cluster and counts the tenant on it (in this process's loads) until its next reading. */
export async function placeTenant(ctx: TenantContext, request: PlacementRequest): Promise<Placement> {
  const loads = loadsOf(ctx);
  const placement = await choose(ctx, loads, request);
  loads.placed(placement.cluster);
  return placement;
}

async function choose(
  ctx: TenantContext,
  loads: ClusterLoadCache,
  request: PlacementRequest,
): Promise<Placement> {
  const region = request.region ?? null;
  if (request.cluster !== undefined) {
    const row = await getCluster(ctx.control, request.cluster);
    if (!row || row.status === 'removed') {
      throw new AppError('not_found', `cluster ${request.cluster} not found; see modernpos cluster list`);
    }
    if (row.status === 'draining') {
      throw new AppError('conflict', `cluster ${row.name} is draining: it takes no new tenants`);
    }
    if (region !== null && row.region !== region) {
      throw new AppError(
        'invalid_input',
        `cluster ${row.name} is in region ${regionOf(row)}, not ${region}: a tenant created in region ${region} is never placed outside it`,
      );
    }
    refuseKnownUnreachable(loads, row.name);
    return { cluster: row.name, region };
  }
  const all = await listClusters(ctx.control);
  const inRegion = region === null ? all : all.filter((c) => c.region === region);
  if (region !== null && inRegion.length === 0) {
    const regions = [...new Set(all.map((c) => c.region).filter((r) => r !== null))].sort();
    throw new AppError(
      'not_found',
      `no cluster in region ${region} (regions: ${regions.join(', ') || 'none'}); add one with modernpos cluster add`,
    );
  }
  const open = inRegion.filter((c) => c.status === 'active');
  if (open.length === 0) {
    throw new AppError(
      'conflict',
      `every cluster${region === null ? '' : ` in region ${region}`} is draining: none takes new tenants`,
    );
  }
  if (open.length === 1) {
    refuseKnownUnreachable(loads, open[0]!.name);
    return { cluster: open[0]!.name, region };
  }
  return { cluster: await leastLoadedReachable(ctx, loads, open, region), region };
}

/** The least loaded of `open` by what `loads` knows of them, passing by those that do not answer. */
async function leastLoadedReachable(
  ctx: TenantContext,
  loads: ClusterLoadCache,
  open: readonly ClusterRow[],
  region: string | null,
): Promise<string> {
  const read = await Promise.all(
    open.map(async (c) => ({
      name: c.name,
      load: await loads.load(c.name, () => readPlacementLoad(ctx, c.name)),
    })),
  );
  const reachable = read.flatMap(({ name, load }) =>
    load.reachable ? [{ name, tenants: load.tenants, sizeBytes: load.sizeBytes }] : [],
  );
  const best = leastLoaded(reachable);
  if (!best) {
    throw new AppError(
      'database_unavailable',
      `no cluster${region === null ? '' : ` in region ${region}`} that takes new tenants is reachable (${open.map((c) => c.name).join(', ')})`,
    );
  }
  return best.name;
}
