// `tenant move ORG --to CLUSTER`: moves a tenant's database to another cluster while it keeps
// serving. Online (logical replication): the target database from the target's template, its tables
// emptied, a publication on the source and a subscription on the target that copies and then streams;
// once caught up, a short write freeze (the resolver holds the tenant's leases, the source refuses
// the tenant's role once its transactions are over), the subscription reaches the source's final
// position, sequences are set, every table's count and checksum is compared, replication is dropped
// and the sealed DSN and the tenant's cluster switch in one control-plane transaction. A source that
// cannot replicate logically is copied offline inside the freeze instead. Every step is recorded in
// tenant_moves and audited: a run killed anywhere resumes when the command runs again, and
// `--abort` undoes a move that has not switched. A failure during the freeze lifts it: the tenant
// keeps serving from the source.

import type { ClosableSqlDatabase } from '../../../src/db/sql.ts';
import { sanitizeText } from '../../../src/domain/bounds.ts';
import { tenantDatabaseName } from '../../../src/domain/org-id.ts';
import { AppError, isAppError } from '../../../src/errors.ts';
import { latestVersion } from '../../../src/migrate/files.ts';
import { migrate } from '../../../src/migrate/runner.ts';
import { endMove, reportMoveLag } from '../../clusters/move-progress.ts';
import { requireClusterName } from '../../clusters/validate.ts';
import { audit } from '../../control/audit.ts';
import { getCluster } from '../../control/clusters.ts';
import { storeConnectionString } from '../../control/connection-strings.ts';
import { getOrganization, type Organization } from '../../control/organizations.ts';
import {
  finishMove,
  insertMove,
  keptSourceOn,
  latestMove,
  type MoveMethod,
  markSourceDropped,
  runningMove,
  setMoveFrozen,
  setMovePhase,
  type TenantMove,
} from '../../control/tenant-moves.ts';
import type { Engine } from '../../engines/engine.ts';
import { randomSecret } from '../../secrets/passwords.ts';
import { engineOf, type TenantContext, tenantMigrationTarget, withOrgLock } from '../context.ts';
import { createFromTemplate } from '../template.ts';
import { requireOrgId } from '../validate.ts';
import { catchUp, waitFor } from './catch-up.ts';
import { copyTables } from './copy.ts';
import { fenceSource, unfenceSource } from './freeze.ts';
import {
  bytesBehind,
  createPublication,
  createSubscription,
  currentLsn,
  dropPublication,
  dropSlot,
  dropSubscription,
  missingSubscription,
  replicationName,
  tablesNotReady,
  whyNotLogical,
} from './replication.ts';
import { tenantRoutingChanged } from './signals.ts';
import {
  emptyTables,
  listTables,
  readSequences,
  setSequences,
  sumMismatches,
  type TableInfo,
  type TableSum,
  tableSums,
} from './tables.ts';

/** The steps of each method, in order; `tenant_moves.phase` is the last one finished. */
export const MOVE_STEPS: Record<MoveMethod, readonly string[]> = {
  logical: [
    'started',
    'database_created',
    'schema_applied',
    'published',
    'subscribed',
    'caught_up',
    'frozen',
    'synced',
    'sequences_set',
    'verified',
    'replication_dropped',
  ],
  copy: ['started', 'database_created', 'schema_applied', 'frozen', 'copied', 'sequences_set', 'verified'],
};

export interface MoveOptions {
  /** How long the subscription may take to copy the tables and catch up before the freeze (default 10 min). */
  catchUpTimeoutMs?: number;
  /** How long, frozen, the subscription may take to reach the source's final position (default 30 s). */
  syncTimeoutMs?: number;
  /** How long, frozen, open transactions on the source are given to finish (default 5 s). */
  drainMs?: number;
}

export interface MoveInput extends MoveOptions {
  orgId: string;
  /** The target cluster (`--to`). */
  to: string;
}

export interface MoveResult {
  orgId: string;
  from: string;
  to: string;
  method: MoveMethod;
  /** Why the move copied offline instead of replicating, or null. */
  fallbackReason: string | null;
  /** How long writes were frozen, in ms (measured on the control server). */
  freezeMs: number | null;
  /** Rows and checksum of each table, equal on both sides. */
  tables: TableSum[];
  /** An interrupted move was finished by this run. */
  resumed: boolean;
  /** The move had already switched (a run killed after the switch, run again). */
  alreadyMoved: boolean;
}

const DEFAULTS = { catchUpTimeoutMs: 600_000, syncTimeoutMs: 30_000, drainMs: 5_000 };

/** Runs `fn`; a refusal (AppError) is audited as `tenant.move.refused` (or `tenant.move.abort.refused`) with its code. */
export async function audited<T>(
  ctx: TenantContext,
  orgId: string,
  action: string,
  details: Record<string, unknown>,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isAppError(err)) {
      await audit(ctx.control, {
        actor: ctx.actor,
        action,
        orgId,
        details: { ...details, code: err.code, message: err.message },
      }).catch(() => {});
    }
    throw err;
  }
}

/** A cluster that does not answer: the move is refused (or stopped) with the cluster named. */
function unreachable(cluster: string, role: 'source' | 'target', err: unknown): AppError {
  if (isAppError(err)) return err;
  const why = sanitizeText(err instanceof Error ? err.message : String(err), 200);
  return new AppError('database_unavailable', `the ${role} cluster ${cluster} does not answer (${why})`);
}

async function probe(engine: Engine, role: 'source' | 'target'): Promise<void> {
  try {
    await engine.databaseExists('postgres');
  } catch (err) {
    throw unreachable(engine.cluster, role, err);
  }
}

export async function moveTenant(ctx: TenantContext, input: MoveInput): Promise<MoveResult> {
  const orgId = requireOrgId(input.orgId);
  const shownTo = sanitizeText(String(input.to ?? ''), 64);
  const to = await audited(ctx, orgId, 'tenant.move.refused', { to: shownTo }, async () =>
    requireClusterName(input.to),
  );
  return withOrgLock(ctx, orgId, () =>
    audited(ctx, orgId, 'tenant.move.refused', { to }, () => moveLocked(ctx, orgId, to, input)),
  );
}

async function moveLocked(ctx: TenantContext, orgId: string, to: string, options: MoveOptions) {
  const org = await getOrganization(ctx.control, orgId);
  if (!org) throw new AppError('not_found', `organization ${orgId} not found`);
  const running = await runningMove(ctx.control, orgId);
  if (running) {
    if (running.targetCluster !== to) {
      throw new AppError(
        'conflict',
        `a move of ${orgId} to cluster ${running.targetCluster} is in progress; finish it (tenant move ${orgId} --to ${running.targetCluster}) or undo it (--abort)`,
      );
    }
    await audit(ctx.control, {
      actor: ctx.actor,
      action: 'tenant.move.resumed',
      orgId,
      details: { from: running.sourceCluster, to, method: running.method, phase: running.phase },
    });
    return runMove(ctx, org, running, options, true);
  }
  const last = await latestMove(ctx.control, orgId);
  if (
    org.cluster === to &&
    last?.state === 'switched' &&
    last.targetCluster === to &&
    last.phase !== 'completed'
  ) {
    // A run killed after the switch, run again: the move is done (every process is told again).
    await tenantRoutingChanged(ctx, orgId);
    await completed(ctx, last, last.freezeMs);
    return {
      orgId,
      from: last.sourceCluster,
      to,
      method: last.method,
      fallbackReason: null,
      freezeMs: last.freezeMs,
      tables: [],
      resumed: true,
      alreadyMoved: true,
    };
  }
  const move = await startMove(ctx, org, to);
  return runMove(ctx, org, move.move, options, false, move.fallbackReason);
}

/** The checks before anything is written, then the move's row (and `started`). */
async function startMove(
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
  if (kept) {
    await target.dropDatabase(database);
    await target.dropTenantRole(database);
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
    if ((err as { code?: string }).code === '23505') {
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

/** Drops what a move made on the target: its subscription (which would block the drop) and the database and role. */
export async function dropTarget(target: Engine, database: string, name: string): Promise<void> {
  if (await target.databaseExists(database)) {
    const db = target.openDatabase(database, 1);
    try {
      await dropSubscription(db, name);
    } finally {
      await db.close();
    }
    await target.dropDatabase(database);
  }
  await target.dropTenantRole(database);
}

async function runMove(
  ctx: TenantContext,
  org: Organization,
  move: TenantMove,
  input: MoveOptions,
  resumed: boolean,
  fallbackReason: string | null = null,
): Promise<MoveResult> {
  const options = { ...DEFAULTS, ...input };
  const orgId = org.id;
  const database = tenantDatabaseName(orgId);
  const name = replicationName(orgId);
  const steps = MOVE_STEPS[move.method];
  let phase = move.phase;
  const reached = (p: string) => steps.indexOf(phase) >= steps.indexOf(p);
  // Where the move stands, for /metrics (cloud/clusters/move-progress.ts): each step, each catch-up poll.
  let lagBytes: number | null = null;
  const progress = () =>
    reportMoveLag({ orgId, from: move.sourceCluster, to: move.targetCluster, lagBytes, step: phase });
  const step = async (p: string, details: Record<string, unknown> = {}) => {
    await setMovePhase(ctx.control, move.id, p);
    phase = p;
    progress();
    await audit(ctx.control, { actor: ctx.actor, action: `tenant.move.${p}`, orgId, details });
    await ctx.afterStep?.(p, orgId);
  };
  const source = await ctx.clusters.engine(move.sourceCluster);
  const target = await ctx.clusters.engine(move.targetCluster);
  const onTarget = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw unreachable(move.targetCluster, 'target', err);
    }
  };

  const sourceDb = source.openDatabase(database, 2);
  let targetDb: ClosableSqlDatabase | undefined;
  try {
    const tables = await listTables(sourceDb);
    if (!reached('database_created')) {
      await onTarget(async () => {
        if (!(await target.databaseExists(database))) await createFromTemplate(ctx, target, database);
      });
      await step('database_created', { cluster: move.targetCluster });
    }
    const tdb = target.openDatabase(database, 2);
    targetDb = tdb;
    if (!reached('schema_applied')) {
      await onTarget(async () => {
        await target.grantTenantAccess(database, randomSecret(24), tdb);
        const migrated = await migrate(
          tenantMigrationTarget({ engine: target }, database, tdb),
          ctx.tenantMigrations,
        );
        if (migrated.current !== org.schemaVersion) {
          throw new AppError(
            'conflict',
            `the target's schema is ${migrated.current}, the source's ${org.schemaVersion}: migrate the tenant, then move it`,
          );
        }
        await dropSubscription(tdb, name);
        const targetTables = await listTables(tdb);
        const missing = tables.filter((t) => !targetTables.some((x) => x.name === t.name)).map((t) => t.name);
        if (missing.length > 0) {
          throw new AppError('operation_failed', `the target database lacks tables ${missing.join(', ')}`);
        }
        await emptyTables(tdb, tables);
      });
      await step('schema_applied', { tables: tables.length, schemaVersion: org.schemaVersion });
    }
    if (move.method === 'logical') {
      if (!reached('published')) {
        await createPublication(sourceDb, name, tables);
        await step('published', { publication: name });
      }
      if (!reached('subscribed')) {
        const conninfo = source.adminUrlOf?.(database);
        if (!conninfo)
          throw new AppError('operation_failed', `cluster ${move.sourceCluster} has no admin URL`);
        await onTarget(() => createSubscription(sourceDb, tdb, name, conninfo));
        await step('subscribed', { subscription: name });
      }
      if (!reached('caught_up')) {
        const behind = await catchUp(sourceDb, tdb, name, options.catchUpTimeoutMs, onTarget, (bytes) => {
          lagBytes = bytes;
          progress();
        });
        await step('caught_up', { bytesBehind: behind });
      }
    }

    // The write freeze.
    await setMoveFrozen(ctx.control, move.id, true);
    await tenantRoutingChanged(ctx, orgId);
    let switched = false;
    let freezeMs: number | null = null;
    let sums: TableSum[] = [];
    try {
      const cut = await fenceSource(sourceDb, database, options.drainMs);
      if (!reached('frozen')) await step('frozen', { transactionsEnded: cut });
      if (move.method === 'logical' && !reached('synced')) {
        const finalLsn = await currentLsn(sourceDb);
        await waitFor(
          async () => (await bytesBehind(sourceDb, name, finalLsn)) === 0,
          options.syncTimeoutMs,
          async () => {
            if ((await onTarget(() => tablesNotReady(tdb, name))) < 0) throw missingSubscription(name);
          },
          `the subscription did not reach the source's final position ${finalLsn}`,
        );
        await step('synced', { finalLsn });
      }
      if (move.method === 'copy' && !reached('copied')) {
        const rows = await onTarget(() => copyTables(sourceDb, tdb, tables));
        await step('copied', { rows });
      }
      if (!reached('sequences_set')) {
        const sequences = await readSequences(sourceDb);
        await onTarget(() => setSequences(tdb, sequences));
        await step('sequences_set', { sequences: sequences.length });
      }
      sums = await verify(sourceDb, tdb, tables, onTarget);
      if (!reached('verified')) {
        await step('verified', {
          tables: Object.fromEntries(sums.map((s) => [s.table, { rows: s.rows, checksum: s.checksum }])),
        });
      }
      if (move.method === 'logical' && !reached('replication_dropped')) {
        await onTarget(() => dropSubscription(tdb, name));
        await dropSlot(sourceDb, name);
        await dropPublication(sourceDb, name);
        await step('replication_dropped');
      }
      // The switch: the DSN and the tenant's cluster change together, and the freeze ends with them.
      const dsn = await onTarget(() => target.rotateTenantPassword(database, randomSecret(24)));
      freezeMs = await ctx.control.transaction(async (tx) => {
        const cluster = await getCluster(tx, move.targetCluster, 'share');
        if (!cluster || cluster.status === 'removed') {
          throw new AppError('conflict', `cluster ${move.targetCluster} was removed during the move`);
        }
        await storeConnectionString(tx, orgId, ctx.keyring.seal(dsn, orgId));
        await tx.query('UPDATE organizations SET cluster = $2, updated_at = now() WHERE id = $1', [
          orgId,
          move.targetCluster,
        ]);
        return finishMove(tx, move.id, 'switched');
      });
      switched = true;
    } finally {
      if (!switched) await thaw(ctx, move, sourceDb, database, phase, steps).catch(() => {});
    }
    await tenantRoutingChanged(ctx, orgId);
    await audit(ctx.control, {
      actor: ctx.actor,
      action: 'tenant.move.switched',
      orgId,
      details: { from: move.sourceCluster, to: move.targetCluster, freezeMs },
    });
    await ctx.afterStep?.('switched', orgId);
    await completed(ctx, move, freezeMs);
    return {
      orgId,
      from: move.sourceCluster,
      to: move.targetCluster,
      method: move.method,
      fallbackReason: fallbackReason ?? (resumed ? await startedFallbackReason(ctx, move) : null),
      freezeMs,
      tables: sums,
      resumed,
      alreadyMoved: false,
    };
  } catch (err) {
    await audit(ctx.control, {
      actor: ctx.actor,
      action: 'tenant.move.failed',
      orgId,
      details: {
        phase,
        code: isAppError(err) ? err.code : 'internal',
        message: sanitizeText(err instanceof Error ? err.message : String(err), 300),
      },
    }).catch(() => {});
    throw err;
  } finally {
    endMove(orgId);
    await sourceDb.close().catch(() => {});
    await targetDb?.close().catch(() => {});
  }
}

/** The move's last step: audited, and recorded so running the command again is refused as a move onto the same cluster. */
async function completed(ctx: TenantContext, move: TenantMove, freezeMs: number | null): Promise<void> {
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.move.completed',
    orgId: move.orgId,
    details: { from: move.sourceCluster, to: move.targetCluster, method: move.method, freezeMs },
  });
  await setMovePhase(ctx.control, move.id, 'completed');
}

/** The fallback reason the move's first run recorded. */
async function startedFallbackReason(ctx: TenantContext, move: TenantMove): Promise<string | null> {
  const rows = await ctx.control.query<{ reason: string | null }>(
    "SELECT details->>'fallbackReason' AS reason FROM audit_logs WHERE org_id = $1 AND action = 'tenant.move.started' AND (details->>'moveId')::bigint = $2",
    [move.orgId, move.id],
  );
  return rows[0]?.reason ?? null;
}

/**
 * Lifts a freeze that did not end in a switch: the source's role logs in again, the resolver hands
 * out leases again, and the move goes back to the last step before the freeze that is still true
 * (replication already dropped means starting the copy again from an emptied target).
 */
async function thaw(
  ctx: TenantContext,
  move: TenantMove,
  sourceDb: ClosableSqlDatabase,
  role: string,
  phase: string,
  steps: readonly string[],
): Promise<void> {
  await unfenceSource(sourceDb, role).catch(() => {});
  await setMoveFrozen(ctx.control, move.id, false);
  const frozenAt = steps.indexOf('frozen');
  if (steps.indexOf(phase) >= frozenAt) {
    const back =
      move.method === 'logical'
        ? steps.indexOf(phase) >= steps.indexOf('replication_dropped')
          ? 'database_created'
          : 'caught_up'
        : 'schema_applied';
    await setMovePhase(ctx.control, move.id, back);
  }
  await tenantRoutingChanged(ctx, move.orgId);
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.move.thawed',
    orgId: move.orgId,
    details: { phase, note: 'the tenant serves from the source again' },
  });
}

async function verify(
  sourceDb: ClosableSqlDatabase,
  targetDb: ClosableSqlDatabase,
  tables: readonly TableInfo[],
  onTarget: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<TableSum[]> {
  const [a, b] = await Promise.all([
    tableSums(sourceDb, tables),
    onTarget(() => tableSums(targetDb, tables)),
  ]);
  const bad = sumMismatches(a, b);
  if (bad.length > 0) {
    throw new AppError(
      'operation_failed',
      `the target differs from the frozen source in ${bad.join(', ')}; the move was not switched (run it again, or --abort)`,
    );
  }
  return a;
}
