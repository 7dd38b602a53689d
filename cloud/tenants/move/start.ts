// The start of a tenant move: the checks before anything is written (status, cluster, region,
// schema, engines that answer, leftovers on the target), the method chosen, and the move's row.

import { isUniqueViolation } from '../../../src/db/driver-errors.ts';
import { tenantDatabaseName } from '../../../src/domain/org-id.ts';
import { AppError } from '../../../src/errors.ts';
import { latestVersion } from '../../../src/migrate/files.ts';
import { audit } from '../../control/audit.ts';
import { getCluster } from '../../control/clusters.ts';
import type { Organization } from '../../control/organizations.ts';
import {
  insertMove,
  keptSourceOn,
  type MoveMethod,
  markSourceDropped,
  type TenantMove,
  VERIFY_FAILED,
} from '../../control/tenant-moves.ts';
import { engineOf, type TenantContext } from '../context.ts';
import { dropTarget } from './drop-target.ts';
import { probe, unreachable } from './refusal.ts';
import { replicationName, whyNotLogical } from './replication.ts';
import { listTables } from './tables.ts';

/** The checks before anything is written, then the move's row (and `started`). */
export async function startMove(
  ctx: TenantContext,
  org: Organization,
  to: string,
): Promise<{ move: TenantMove; fallbackReason: string | null }> {
  const orgId = org.id;
  if (org.status !== 'active') {
    throw new AppError(
      'conflict',
      `organization ${orgId} is ${org.status}: only an active tenant can be moved`,
      {
        status: org.status,
      },
    );
  }
  if (org.cluster === to) throw new AppError('conflict', `organization ${orgId} is already on cluster ${to}`);
  const cluster = await getCluster(ctx.control, to);
  if (!cluster || cluster.status === 'removed') throw new AppError('not_found', `cluster ${to} not found`);
  if (cluster.status === 'draining') {
    throw new AppError('conflict', `cluster ${to} is draining: it takes no new tenants, moved ones included`);
  }
  if (org.region !== null && cluster.region !== org.region) {
    throw new AppError(
      'conflict',
      `organization ${orgId} is pinned to region ${org.region}; cluster ${to} is in ${cluster.region ?? 'no region'}`,
    );
  }
  const latest = latestVersion(ctx.tenantMigrations);
  if (org.schemaVersion !== latest) {
    throw new AppError(
      'conflict',
      `organization ${orgId} is at schema ${org.schemaVersion}, this build's is ${latest}: migrate it first (tenant migrate ${orgId})`,
    );
  }
  const source = await engineOf(ctx, org);
  const target = await ctx.clusters.engine(to);
  if (source.kind !== 'postgres' || target.kind !== 'postgres') {
    throw new AppError(
      'conflict',
      'the embedded engine has one cluster: there is nowhere to move a tenant to',
    );
  }
  await probe(source, 'source');
  await probe(target, 'target');

  const database = tenantDatabaseName(orgId);
  // The source an earlier move left on the target (moving back within its grace period) is ours: drop it.
  const kept = await keptSourceOn(ctx.control, orgId, to);
  if (kept?.error === VERIFY_FAILED) {
    throw new AppError(
      'conflict',
      `the source database of ${orgId} is kept on cluster ${to} because the checksums of move ${kept.id} differed; compare it, then release it (docs/clusters.md) before moving the tenant back there`,
    );
  }
  if (kept) {
    await target.dropDatabase(database);
    await target.roles.dropTenantRole(database);
    await markSourceDropped(ctx.control, kept.id);
    await audit(ctx.control, {
      actor: ctx.actor,
      action: 'tenant.move.source_dropped',
      orgId,
      details: { cluster: to, reason: 'the tenant is moving back onto this cluster' },
    });
  }
  const leftover = await ctx.control.query(
    "SELECT 1 FROM tenant_moves WHERE org_id = $1 AND target_cluster = $2 AND state = 'aborted' AND error = 'target_left'",
    [orgId, to],
  );
  if (leftover.length > 0) await dropTarget(target, database, replicationName(orgId));
  if (await target.databaseExists(database)) {
    throw new AppError(
      'conflict',
      `database ${database} already exists on cluster ${to} but is not this tenant's; refusing to overwrite it`,
    );
  }
  if (leftover.length > 0) {
    await ctx.control.query(
      "UPDATE tenant_moves SET error = 'target_dropped' WHERE org_id = $1 AND target_cluster = $2 AND error = 'target_left'",
      [orgId, to],
    );
  }

  const sourceDb = source.openDatabase(database, 1);
  const targetDb = target.openDatabase('postgres', 1);
  let fallbackReason: string | undefined;
  try {
    fallbackReason = await whyNotLogical(sourceDb, targetDb, await listTables(sourceDb));
  } catch (err) {
    throw unreachable(to, 'target', err);
  } finally {
    await sourceDb.close();
    await targetDb.close();
  }
  const method: MoveMethod = fallbackReason ? 'copy' : 'logical';
  let move: TenantMove;
  try {
    move = await insertMove(ctx.control, { orgId, sourceCluster: org.cluster, targetCluster: to, method });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AppError('conflict', `another move of ${orgId} started meanwhile; run the command again`);
    }
    throw err;
  }
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.move.started',
    orgId,
    details: { from: org.cluster, to, method, fallbackReason: fallbackReason ?? null, moveId: move.id },
  });
  await ctx.afterStep?.('started', orgId);
  return { move, fallbackReason: fallbackReason ?? null };
}
