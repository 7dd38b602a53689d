// Where a new tenant's database goes: the cluster asked for (`--cluster`), or the least-loaded cluster
// that takes new tenants (not draining), within the region asked for (`--region`) if any. Least
// loaded is the smallest total size of this control plane's tenant databases on it, then the fewest
// tenants, then the name. A tenant created in a region is never placed outside it.
import { AppError } from '../../src/errors.ts';
import { clusterLoad } from '../clusters/load.ts';
import { type ClusterRow, getCluster, listClusters, tenantsPerCluster } from '../control/clusters.ts';
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

/** Refuses, before anything is written, a cluster that does not answer: an onboarding there could not start. */
async function requireReachable(ctx: TenantContext, cluster: string): Promise<void> {
  const load = await clusterLoad(ctx.clusters, cluster, []);
  if (!load.reachable) {
    throw new AppError(
      'database_unavailable',
      `cluster ${cluster} is unreachable (${load.error}); nothing was created`,
    );
  }
}

export async function placeTenant(ctx: TenantContext, request: PlacementRequest): Promise<Placement> {
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
    await requireReachable(ctx, row.name);
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
    await requireReachable(ctx, open[0]!.name);
    return { cluster: open[0]!.name, region };
  }
  const tenants = await tenantsPerCluster(ctx.control);
  const loads = await Promise.all(
    open.map(async (c) => {
      const orgIds = tenants.get(c.name) ?? [];
      return { name: c.name, tenants: orgIds.length, load: await clusterLoad(ctx.clusters, c.name, orgIds) };
    }),
  );
  const reachable = loads.flatMap((l) =>
    l.load.reachable ? [{ name: l.name, tenants: l.tenants, sizeBytes: l.load.sizeBytes }] : [],
  );
  const best = leastLoaded(reachable);
  if (!best) {
    throw new AppError(
      'database_unavailable',
      `no cluster${region === null ? '' : ` in region ${region}`} that takes new tenants is reachable (${open.map((c) => c.name).join(', ')})`,
    );
  }
  return { cluster: best.name, region };
}
