// `cluster add | list | drain | undrain | remove` (CLI and /admin/clusters): the clusters tenant
// databases are placed on. Every change and every refusal is audited; a refusal writes nothing else.
// The deployment's own cluster (`default`: MODERNPOS_PG_URL, or `embedded`) is always there and is
// never removed; the embedded engine has no other (see docs/clusters.md).
import { sanitizeText } from '../../src/domain/bounds.ts';
import { AppError } from '../../src/errors.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import { audit, auditingRefusals } from '../control/audit.ts';
import {
  type ClusterKind,
  type ClusterRow,
  type ClusterStatus,
  clusterSealContext,
  getCluster,
  insertCluster,
  listClusters,
  setClusterStatus,
  tenantsPerCluster,
} from '../control/clusters.ts';
import type { TenantContext } from '../tenants/context.ts';
import { clusterLoad } from './load.ts';
import { type MoveProgress, movesInProgress } from './move-progress.ts';
import { probeClusterUrl } from './probe.ts';
import { requireClusterName, requireClusterUrl, requireRegion, whereOf } from './validate.ts';

/** A cluster as `cluster list --json` and the admin API show it. */
export interface ClusterView {
  name: string;
  kind: ClusterKind;
  region: string | null;
  status: Exclude<ClusterStatus, 'removed'>;
  /** The deployment's own cluster (holds the control plane; reached through MODERNPOS_PG_URL). */
  implicit: boolean;
  /** host:port (never credentials); null on the embedded engine. */
  host: string | null;
  /** Tenants with a database on it (every status but offboarded). */
  tenants: number;
  reachable: boolean;
  /** Total size of those tenants' databases; null when unreachable. */
  sizeBytes: number | null;
  /** Client backends in use on the whole server, and its max_connections; null when unknown. */
  backends: number | null;
  maxConnections: number | null;
  /** Why it is unreachable. */
  error?: string;
  /** Its active or suspended tenants whose schema is behind this build's (the migration backlog there). */
  schemaBacklog: number;
  /** Moves to or from it that this process is running, with the target's replication lag. */
  moves: MoveProgress[];
  createdAt: string;
}

export interface AddClusterInput {
  name: unknown;
  url: unknown;
  region?: unknown;
}

type Operation = 'add' | 'drain' | 'undrain' | 'remove';

/** Runs an operator change; a refusal (any AppError) is audited as `cluster.<op>.refused` and rethrown. */
const audited = <T>(ctx: TenantContext, op: Operation, name: unknown, fn: () => Promise<T>): Promise<T> =>
  auditingRefusals(
    ctx,
    { action: `cluster.${op}.refused`, details: { cluster: sanitizeText(String(name ?? ''), 64) } },
    fn,
  );

/** Active or suspended tenants behind this build's tenant schema, per cluster. */
async function schemaBacklogs(ctx: TenantContext): Promise<Map<string, number>> {
  const rows = await ctx.control.query<{ cluster: string; n: unknown }>(
    `SELECT cluster, count(*) AS n FROM organizations
      WHERE status IN ('active', 'suspended') AND schema_version < $1 GROUP BY cluster`,
    [latestVersion(ctx.tenantMigrations)],
  );
  return new Map(rows.map((r) => [r.cluster, Number(r.n)]));
}

async function view(
  ctx: TenantContext,
  row: ClusterRow,
  orgIds: readonly string[],
  backlogs: Map<string, number>,
): Promise<ClusterView> {
  const [load, host] = await Promise.all([
    clusterLoad(ctx.clusters, row.name, orgIds),
    ctx.clusters.host(row.name).catch(() => null),
  ]);
  return {
    name: row.name,
    kind: row.kind,
    region: row.region,
    status: row.status === 'draining' ? 'draining' : 'active',
    implicit: row.name === ctx.engine.cluster,
    host,
    tenants: orgIds.length,
    reachable: load.reachable,
    sizeBytes: load.reachable ? load.sizeBytes : null,
    backends: load.reachable ? load.backends : null,
    maxConnections: load.reachable ? load.maxConnections : null,
    ...(load.reachable ? {} : { error: load.error }),
    schemaBacklog: backlogs.get(row.name) ?? 0,
    moves: movesInProgress().filter((m) => m.from === row.name || m.to === row.name),
    createdAt: row.createdAt.toISOString(),
  };
}

export async function listClusterViews(ctx: TenantContext): Promise<ClusterView[]> {
  const [rows, tenants, backlogs] = await Promise.all([
    listClusters(ctx.control),
    tenantsPerCluster(ctx.control),
    schemaBacklogs(ctx),
  ]);
  return Promise.all(rows.map((row) => view(ctx, row, tenants.get(row.name) ?? [], backlogs)));
}

/** The cluster, which must exist and not be removed (`not_found`). */
async function requireCluster(ctx: TenantContext, name: string): Promise<ClusterRow> {
  const row = await getCluster(ctx.control, name);
  if (!row || row.status === 'removed') {
    throw new AppError('not_found', `cluster ${name} not found; see modernpos cluster list`);
  }
  return row;
}

export async function showCluster(ctx: TenantContext, nameInput: unknown): Promise<ClusterView> {
  const name = requireClusterName(nameInput);
  const row = await requireCluster(ctx, name);
  return view(ctx, row, (await tenantsPerCluster(ctx.control)).get(name) ?? [], await schemaBacklogs(ctx));
}

export async function addCluster(ctx: TenantContext, input: AddClusterInput): Promise<ClusterView> {
  return audited(ctx, 'add', input.name, async () => {
    if (ctx.engine.kind === 'embedded') {
      throw new AppError(
        'conflict',
        'this deployment runs on the embedded engine: every tenant lives in its data directory (cluster embedded); PostgreSQL clusters need MODERNPOS_PG_URL',
      );
    }
    const name = requireClusterName(input.name);
    const url = requireClusterUrl(input.url);
    const region = input.region === undefined || input.region === null ? null : requireRegion(input.region);
    const existing = await getCluster(ctx.control, name);
    if (existing && existing.status !== 'removed') {
      throw new AppError('conflict', `cluster ${name} already exists (${existing.status})`);
    }
    const probed = await probeClusterUrl(url);
    const sealed = ctx.keyring.seal(url, clusterSealContext(name));
    if (!(await insertCluster(ctx.control, { name, region, sealedUrl: sealed }))) {
      throw new AppError('conflict', `cluster ${name} was added by someone else meanwhile`);
    }
    await ctx.clusters.forget(name);
    ctx.clusterLoads?.forget(name);
    await audit(ctx.control, {
      actor: ctx.actor,
      action: 'cluster.added',
      details: { cluster: name, region, host: whereOf(url), keyId: sealed.keyId, walLevel: probed.walLevel },
    });
    return showCluster(ctx, name);
  });
}

/** `drain` (no new placements) or `undrain` (placements again). Idempotent. */
export async function setDraining(
  ctx: TenantContext,
  nameInput: unknown,
  draining: boolean,
): Promise<{ cluster: string; status: 'active' | 'draining'; changed: boolean }> {
  return audited(ctx, draining ? 'drain' : 'undrain', nameInput, async () => {
    const name = requireClusterName(nameInput);
    const row = await requireCluster(ctx, name);
    const status = draining ? 'draining' : 'active';
    const changed = row.status !== status;
    if (changed) {
      await setClusterStatus(ctx.control, name, status);
      await audit(ctx.control, {
        actor: ctx.actor,
        action: draining ? 'cluster.drained' : 'cluster.undrained',
        details: { cluster: name },
      });
    }
    return { cluster: name, status, changed };
  });
}

/** Forgets a cluster that holds no tenant (offboarded ones aside). Its server is left as it is. */
export async function removeCluster(ctx: TenantContext, nameInput: unknown): Promise<{ cluster: string }> {
  return audited(ctx, 'remove', nameInput, async () => {
    const name = requireClusterName(nameInput);
    if (name === ctx.engine.cluster) {
      throw new AppError(
        'conflict',
        `cluster ${name} is this deployment's own (it holds the control plane); it cannot be removed`,
      );
    }
    // The row is held while the tenants are counted: an onboarding placing a tenant here waits, then sees it removed.
    await ctx.control.transaction(async (tx) => {
      const row = await getCluster(tx, name, 'update');
      if (!row || row.status === 'removed') {
        throw new AppError('not_found', `cluster ${name} not found; see modernpos cluster list`);
      }
      const rows = await tx.query<{ id: string }>(
        "SELECT id FROM organizations WHERE cluster = $1 AND status <> 'offboarded' ORDER BY id",
        [name],
      );
      if (rows.length > 0) {
        const ids = rows.map((r) => r.id);
        throw new AppError(
          'conflict',
          `cluster ${name} still has ${ids.length} tenant(s) (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}); offboard or move them first`,
          { tenants: ids },
        );
      }
      await setClusterStatus(tx, name, 'removed');
      await audit(tx, { actor: ctx.actor, action: 'cluster.removed', details: { cluster: name } });
    });
    await ctx.clusters.forget(name);
    return { cluster: name };
  });
}
