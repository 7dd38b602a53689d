// `tenant move ORG --to CLUSTER`: moves a tenant's database to another cluster while it keeps
// serving. Online (logical replication): the target database from the target's template, its tables
// emptied, a publication on the source and a subscription on the target that copies and then streams;
// once caught up, a short write freeze (the resolver holds the tenant's leases, the source refuses
// the tenant's role once its transactions are over), the subscription reaches the source's final
// position, sequences are set, every table's row count is compared (the target's in a snapshot kept
// open), replication is dropped and the sealed DSN and the tenant's cluster switch in one
// control-plane transaction, which ends the freeze. Then every table's checksum is compared, the
// target's in that snapshot: a difference leaves the tenant on the target (it has written there
// since), keeps the source for comparison, and fails the command (`tenant.move.verify_failed`). A
// source that cannot replicate logically is copied and fully verified offline inside the freeze
// instead. Every step is recorded in tenant_moves and audited: a run killed anywhere resumes when the
// command runs again, and `--abort` undoes a move that has not switched. A failure during the freeze
// lifts it: the tenant keeps serving from the source.

import type { ClosableSqlDatabase } from '../../../src/db/sql.ts';
import { sanitizeText } from '../../../src/domain/bounds.ts';
import { tenantDatabaseName } from '../../../src/domain/org-id.ts';
import { AppError, isAppError } from '../../../src/errors.ts';
import { migrate } from '../../../src/migrate/runner.ts';
import { endMove, reportMoveLag } from '../../clusters/move-progress.ts';
import { requireClusterName } from '../../clusters/validate.ts';
import { audit } from '../../control/audit.ts';
import { getOrganization, type Organization } from '../../control/organizations.ts';
import {
  latestMove,
  runningMove,
  setMoveFrozen,
  setMovePhase,
  type TenantMove,
} from '../../control/tenant-moves.ts';
import { randomSecret } from '../../secrets/passwords.ts';
import { type TenantContext, tenantMigrationTarget, withOrgLock } from '../context.ts';
import { createFromTemplate } from '../template.ts';
import { requireOrgId } from '../validate.ts';
import { catchUp, waitFor } from './catch-up.ts';
import { copyTables } from './copy.ts';
import { fenceSource } from './freeze.ts';
import { audited, unreachable } from './refusal.ts';
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
} from './replication.ts';
import {
  completed,
  MATCHED,
  type MoveResult,
  type MoveVerification,
  startedFallbackReason,
  verificationFailure,
} from './result.ts';
import { tenantRoutingChanged } from './signals.ts';
import type { PinnedSnapshot } from './snapshot.ts';
import { startMove } from './start.ts';
import { MOVE_STEPS } from './steps.ts';
import { switchTenant } from './switch.ts';
import {
  emptyTables,
  listTables,
  readSequences,
  setSequences,
  type TableSum,
  tableCounts,
} from './tables.ts';
import { thaw } from './thaw.ts';
import { countInFreeze, verify } from './verify.ts';
import { verificationOnResume, verifyAfterSwitch } from './verify-after-switch.ts';

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

const DEFAULTS = { catchUpTimeoutMs: 600_000, syncTimeoutMs: 30_000, drainMs: 5_000 };

export async function moveTenant(ctx: TenantContext, input: MoveInput): Promise<MoveResult> {
  const orgId = requireOrgId(input.orgId);
  const shownTo = sanitizeText(String(input.to ?? ''), 64);
  const to = await audited(ctx, orgId, 'tenant.move.refused', { to: shownTo }, async () =>
    requireClusterName(input.to),
  );
  const result = await withOrgLock(ctx, orgId, () =>
    audited(ctx, orgId, 'tenant.move.refused', { to }, () => moveLocked(ctx, orgId, to, input)),
  );
  // Switched, but the checksums differ: the tenant serves from the target, and the command fails.
  const failure = verificationFailure(result);
  if (failure) throw failure;
  return result;
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
    const verification = await verificationOnResume(ctx, last);
    await completed(ctx, last, last.freezeMs);
    return {
      orgId,
      from: last.sourceCluster,
      to,
      method: last.method,
      fallbackReason: null,
      freezeMs: last.freezeMs,
      tables: [],
      verification,
      resumed: true,
      alreadyMoved: true,
    };
  }
  const move = await startMove(ctx, org, to);
  return runMove(ctx, org, move.move, options, false, move.fallbackReason);
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
        await target.roles.grantTenantAccess(database, randomSecret(24), tdb);
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

    // The target's DSN, with a new password for its role, before the freeze (nothing logs in as that
    // role there before the switch; a run that does not switch sets another next time).
    const dsn = await onTarget(() => target.roles.rotateTenantPassword(database, randomSecret(24)));

    // The write freeze.
    await setMoveFrozen(ctx.control, move.id, true);
    await tenantRoutingChanged(ctx, orgId);
    let switched = false;
    let freezeMs: number | null = null;
    let sums: TableSum[] = [];
    // The target's snapshot at the end of replication, for the checksums after the switch (online).
    let snapshot: PinnedSnapshot | undefined;
    try {
      const cut = await fenceSource(sourceDb, database, options.drainMs);
      if (!reached('frozen')) await step('frozen', { transactionsEnded: cut });
      // Fenced and drained, the source is final: its row counts run while the subscription syncs.
      const sourceCounts = move.method === 'logical' ? tableCounts(sourceDb, tables) : undefined;
      sourceCounts?.catch(() => {});
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
      if (move.method === 'copy') {
        // No replication to rely on: counts and checksums, inside the freeze.
        sums = await verify(sourceDb, tdb, tables, onTarget);
        if (!reached('verified')) {
          await step('verified', {
            tables: Object.fromEntries(sums.map((s) => [s.table, { rows: s.rows, checksum: s.checksum }])),
          });
        }
      } else {
        // Row counts only (a mismatch refuses the switch); the checksums come after it.
        const counted = await countInFreeze(sourceCounts!, tdb, tables, onTarget);
        snapshot = counted.snapshot;
        if (!reached('counted')) {
          await step('counted', { tables: Object.fromEntries(counted.counts.map((c) => [c.table, c.rows])) });
        }
      }
      if (move.method === 'logical' && !reached('replication_dropped')) {
        await onTarget(() => dropSubscription(tdb, name));
        await dropSlot(sourceDb, name);
        await dropPublication(sourceDb, name);
        await step('replication_dropped');
      }
      // The switch: the DSN and the tenant's cluster change together, and the freeze ends with them.
      freezeMs = await switchTenant(ctx, move, dsn);
      switched = true;
    } finally {
      if (!switched) {
        await snapshot?.release();
        await thaw(ctx, move, sourceDb, database, phase, steps).catch(() => {});
      }
    }
    await tenantRoutingChanged(ctx, orgId);
    await audit(ctx.control, {
      actor: ctx.actor,
      action: 'tenant.move.switched',
      orgId,
      details: { from: move.sourceCluster, to: move.targetCluster, freezeMs },
    });
    let verification: MoveVerification = MATCHED;
    try {
      await ctx.afterStep?.('switched', orgId);
      if (snapshot) {
        const checked = await verifyAfterSwitch(ctx, move, sourceDb, snapshot, tables, onTarget, step);
        sums = checked.sums;
        verification = checked.verification;
      }
    } finally {
      await snapshot?.release();
    }
    await completed(ctx, move, freezeMs);
    return {
      orgId,
      from: move.sourceCluster,
      to: move.targetCluster,
      method: move.method,
      fallbackReason: fallbackReason ?? (resumed ? await startedFallbackReason(ctx, move) : null),
      freezeMs,
      tables: sums,
      verification,
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
