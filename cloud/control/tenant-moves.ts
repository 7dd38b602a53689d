// The `tenant_moves` table of the control plane: one row per move of a tenant between clusters, the
// last step it finished, and the write freeze the resolver honours.
import type { SqlQueryable } from '../../src/db/sql.ts';

export type MoveMethod = 'logical' | 'copy';
export type MoveState = 'running' | 'switched' | 'aborted';

export interface TenantMove {
  id: number;
  orgId: string;
  sourceCluster: string;
  targetCluster: string;
  method: MoveMethod;
  /** The last step finished (see cloud/tenants/move/steps.ts). */
  phase: string;
  state: MoveState;
  frozen: boolean;
  frozenAt: Date | null;
  freezeMs: number | null;
  startedAt: Date;
  switchedAt: Date | null;
  sourceDroppedAt: Date | null;
  /** Why the move ended as it did: `target_left`/`target_dropped` (aborted), `verify_failed` (switched, source kept). */
  error: string | null;
}

interface Row {
  id: number | string;
  org_id: string;
  source_cluster: string;
  target_cluster: string;
  method: MoveMethod;
  phase: string;
  state: MoveState;
  frozen: boolean;
  frozen_at: Date | null;
  freeze_ms: number | null;
  started_at: Date;
  switched_at: Date | null;
  source_dropped_at: Date | null;
  error: string | null;
}

const columns =
  'id, org_id, source_cluster, target_cluster, method, phase, state, frozen, frozen_at, freeze_ms, started_at, switched_at, source_dropped_at, error';

const date = (d: Date | null) => (d === null ? null : new Date(d));

function toMove(r: Row): TenantMove {
  return {
    id: Number(r.id),
    orgId: r.org_id,
    sourceCluster: r.source_cluster,
    targetCluster: r.target_cluster,
    method: r.method,
    phase: r.phase,
    state: r.state,
    frozen: r.frozen,
    frozenAt: date(r.frozen_at),
    freezeMs: r.freeze_ms === null ? null : Number(r.freeze_ms),
    startedAt: new Date(r.started_at),
    switchedAt: date(r.switched_at),
    sourceDroppedAt: date(r.source_dropped_at),
    error: r.error,
  };
}

/** The tenant's unfinished move, if any. */
export async function runningMove(db: SqlQueryable, orgId: string): Promise<TenantMove | undefined> {
  const rows = await db.query<Row>(
    `SELECT ${columns} FROM tenant_moves WHERE org_id = $1 AND state = 'running'`,
    [orgId],
  );
  return rows[0] && toMove(rows[0]);
}

export async function insertMove(
  db: SqlQueryable,
  move: { orgId: string; sourceCluster: string; targetCluster: string; method: MoveMethod },
): Promise<TenantMove> {
  const rows = await db.query<Row>(
    `INSERT INTO tenant_moves (org_id, source_cluster, target_cluster, method, phase)
     VALUES ($1, $2, $3, $4, 'started') RETURNING ${columns}`,
    [move.orgId, move.sourceCluster, move.targetCluster, move.method],
  );
  const row = rows[0];
  if (!row) throw new Error('tenant_moves insert returned nothing');
  return toMove(row);
}

export async function setMovePhase(db: SqlQueryable, id: number, phase: string): Promise<void> {
  await db.query('UPDATE tenant_moves SET phase = $2, updated_at = now() WHERE id = $1', [id, phase]);
}

/** Sets or lifts the write freeze; returns when it was set (kept when already frozen). */
export async function setMoveFrozen(db: SqlQueryable, id: number, frozen: boolean): Promise<Date | null> {
  const rows = await db.query<{ frozen_at: Date | null }>(
    `UPDATE tenant_moves SET frozen = $2,
       frozen_at = CASE WHEN $2 THEN coalesce(frozen_at, now()) ELSE NULL END, updated_at = now()
     WHERE id = $1 RETURNING frozen_at`,
    [id, frozen],
  );
  return date(rows[0]?.frozen_at ?? null);
}

/**
 * Ends the move as `switched` (the freeze's length is measured on the control server's clock, from
 * when it was set) or `aborted`; returns the freeze's length in ms, if there was one.
 */
export async function finishMove(
  db: SqlQueryable,
  id: number,
  state: 'switched' | 'aborted',
  error?: string,
): Promise<number | null> {
  const rows = await db.query<{ freeze_ms: number | null }>(
    `UPDATE tenant_moves SET state = $2, frozen = false, error = $3,
       freeze_ms = CASE WHEN frozen_at IS NULL THEN freeze_ms
                        ELSE (extract(epoch FROM clock_timestamp() - frozen_at) * 1000)::int END,
       switched_at = CASE WHEN $2 = 'switched' THEN now() ELSE switched_at END, updated_at = now()
     WHERE id = $1 RETURNING freeze_ms`,
    [id, state, error ?? null],
  );
  const ms = rows[0]?.freeze_ms;
  return ms === null || ms === undefined ? null : Number(ms);
}

/** The tenant's latest move, whatever its state. */
export async function latestMove(db: SqlQueryable, orgId: string): Promise<TenantMove | undefined> {
  const rows = await db.query<Row>(
    `SELECT ${columns} FROM tenant_moves WHERE org_id = $1 ORDER BY id DESC LIMIT 1`,
    [orgId],
  );
  return rows[0] && toMove(rows[0]);
}

/** Whether the resolver must hold the tenant's leases: a move has frozen its writes. */
export async function isWriteFrozen(db: SqlQueryable, orgId: string): Promise<boolean> {
  const rows = await db.query(
    "SELECT 1 FROM tenant_moves WHERE org_id = $1 AND state = 'running' AND frozen",
    [orgId],
  );
  return rows.length > 0;
}

/** The switch's checksums differed from the source's (or could not be taken): its source is kept until released. */
export const VERIFY_FAILED = 'verify_failed';

export async function markVerifyFailed(db: SqlQueryable, id: number): Promise<void> {
  await db.query('UPDATE tenant_moves SET error = $2, updated_at = now() WHERE id = $1', [id, VERIFY_FAILED]);
}

/** What a released verify_failed becomes: its source may be dropped like any other. */
export const VERIFY_FAILED_RELEASED = 'verify_failed_released';

/** Releases the tenant's source kept after a failed verification; the move, or undefined if none is kept. */
export async function releaseVerifyFailed(db: SqlQueryable, orgId: string): Promise<TenantMove | undefined> {
  const rows = await db.query<Row>(
    `UPDATE tenant_moves SET error = '${VERIFY_FAILED_RELEASED}', updated_at = now()
      WHERE org_id = $1 AND error = '${VERIFY_FAILED}' AND source_dropped_at IS NULL
      RETURNING ${columns}`,
    [orgId],
  );
  return rows[0] && toMove(rows[0]);
}

/**
 * Switched moves whose source database is still kept, switched before `before`, that may be dropped:
 * completed (a move killed after its switch keeps its source until run again) and verified (a
 * source kept after a failed verification waits for the operator).
 */
export async function keptSources(db: SqlQueryable, before: Date): Promise<TenantMove[]> {
  const rows = await db.query<Row>(
    `SELECT ${columns} FROM tenant_moves
     WHERE state = 'switched' AND source_dropped_at IS NULL AND switched_at <= $1
       AND phase = 'completed' AND error IS DISTINCT FROM '${VERIFY_FAILED}' ORDER BY id`,
    [before],
  );
  return rows.map(toMove);
}

/** A switched move whose source is still kept on `cluster` (moving back there drops it first). */
export async function keptSourceOn(
  db: SqlQueryable,
  orgId: string,
  cluster: string,
): Promise<TenantMove | undefined> {
  const rows = await db.query<Row>(
    `SELECT ${columns} FROM tenant_moves
     WHERE org_id = $1 AND source_cluster = $2 AND state = 'switched' AND source_dropped_at IS NULL`,
    [orgId, cluster],
  );
  return rows[0] && toMove(rows[0]);
}

export async function markSourceDropped(db: SqlQueryable, id: number): Promise<void> {
  await db.query('UPDATE tenant_moves SET source_dropped_at = now(), updated_at = now() WHERE id = $1', [id]);
}

/** Moves still running (for monitoring: a move in progress). */
export async function runningMoves(db: SqlQueryable): Promise<TenantMove[]> {
  const rows = await db.query<Row>(`SELECT ${columns} FROM tenant_moves WHERE state = 'running' ORDER BY id`);
  return rows.map(toMove);
}
