// The tenant's sync quarantine: mutations that failed validation, kept whole with their reason.
// After a fix (a branch created, a corrected payload; there is no route yet to hand a terminal over) a quarantined mutation
// is replayed through the same checks and writes as a push; or it is discarded with a reason. Either
// way it is resolved once, and the tenant's audit log says who did it.
import type { SqlDatabase } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import { linkHash } from '../../src/journal/chain.ts';
import { payloadSchemas } from '../../src/protocol/mutations.ts';
import { auditTenant } from '../catalog/change-log.ts';
import { deviceScope } from '../devices/scope.ts';
import { applyMutations } from './apply-batch.ts';
import { journaledMutations } from './journal-documents.ts';
import { type ParsedMutation, parsedMutation } from './parsed-mutation.ts';

export interface QuarantinedMutation {
  id: string;
  deviceId: string;
  seq: number;
  mutationId: string;
  kind: string;
  payload: unknown;
  reasonCode: string;
  reason: string;
  receivedAt: string;
  resolvedAt: string | null;
  resolution: string | null;
}

interface Row {
  id: string;
  device_id: string;
  seq: number;
  mutation_id: string;
  kind: string;
  payload: string;
  reason_code: string;
  reason: string;
  received_at: string;
  resolved_at: string | null;
  resolution: string | null;
}

const view = (r: Row): QuarantinedMutation => ({
  id: r.id,
  deviceId: r.device_id,
  seq: Number(r.seq),
  mutationId: r.mutation_id,
  kind: r.kind,
  payload: JSON.parse(r.payload),
  reasonCode: r.reason_code,
  reason: r.reason,
  receivedAt: r.received_at,
  resolvedAt: r.resolved_at,
  resolution: r.resolution,
});

export async function listQuarantine(db: SqlDatabase, options: { unresolvedOnly?: boolean } = {}) {
  const rows = await db.query<Row>(
    `SELECT * FROM sync_quarantine ${options.unresolvedOnly ? 'WHERE resolved_at IS NULL' : ''} ORDER BY received_at, seq`,
  );
  return rows.map(view);
}

export interface QuarantineContext {
  db: SqlDatabase;
  actor: string;
  now?: () => Date;
  /** Called after the resolution committed, with the device whose mutation it was (its edge is told). */
  onResolved?: (deviceId: string) => void;
}

async function lockUnresolved(tx: Parameters<Parameters<SqlDatabase['transaction']>[0]>[0], id: string) {
  const [row] = await tx.query<Row>('SELECT * FROM sync_quarantine WHERE id = $1 FOR UPDATE', [id]);
  if (!row) throw new AppError('not_found', `no quarantined mutation ${id}`);
  if (row.resolved_at !== null) {
    throw new AppError('conflict', `quarantined mutation ${id} was already resolved (${row.resolution})`);
  }
  return row;
}

/**
 * Replays a quarantined mutation, as stored or with a corrected payload. Applied (or found already
 * there) resolves it; refused again leaves it quarantined and answers `conflict` with the new reason.
 */
export async function replayQuarantined(
  ctx: QuarantineContext,
  id: string,
  correctedPayload?: unknown,
): Promise<{ status: 'applied' | 'duplicate' }> {
  const at = (ctx.now?.() ?? new Date()).toISOString();
  let deviceId = '';
  const result = await ctx.db.transaction(async (tx) => {
    const row = await lockUnresolved(tx, id);
    deviceId = row.device_id;
    const payload = correctedPayload === undefined ? JSON.parse(row.payload) : correctedPayload;
    const mutation = { seq: Number(row.seq), id: row.mutation_id, kind: row.kind, payload };
    const parsed = parsedMutation(mutation);
    // A mutation of a kind this build does not know is refused again below, whatever the payload.
    if (
      correctedPayload !== undefined &&
      'code' in parsed.parsed &&
      Object.hasOwn(payloadSchemas, row.kind)
    ) {
      throw invalidCorrection(row.kind, correctedPayload, parsed.parsed.reason);
    }
    const { outcomes, quarantined } = await applyMutations(
      tx,
      row.device_id,
      await deviceScope(tx, row.device_id),
      [parsed],
      at,
      { checkSeries: false },
    );
    const refused = quarantined[0];
    if (refused) {
      throw new AppError(
        'conflict',
        `still refused: ${refused.rejection.code}: ${refused.rejection.reason}`,
        {
          code: refused.rejection.code,
        },
      );
    }
    const status: 'applied' | 'duplicate' =
      outcomes.get(mutation.seq)?.status === 'duplicate' ? 'duplicate' : 'applied';
    const resolution =
      correctedPayload === undefined ? `replayed (${status})` : `replayed corrected (${status})`;
    await tx.query('UPDATE sync_quarantine SET resolved_at = $2, resolution = $3 WHERE id = $1', [
      id,
      at,
      resolution,
    ]);
    await auditTenant(
      tx,
      {
        actor: ctx.actor,
        action: 'sync_quarantine.replayed',
        entity: 'sync_quarantine',
        entityId: id,
        details: {
          status,
          corrected: correctedPayload !== undefined,
          ...(correctedPayload === undefined ? {} : correctedLinkHash(parsed, at)),
        },
      },
      at,
    );
    return { status };
  });
  ctx.onResolved?.(deviceId);
  return result;
}

/**
 * What the corrected document hashes to under its link (docs/journal.md#verification): kept in the
 * replay's audit entry, so verification takes the stored document as HQ's correction only while it is
 * exactly that. Nothing for a mutation without a journal link.
 */
function correctedLinkHash(corrected: ParsedMutation, at: string): { correctedHash?: string } {
  const [j] = journaledMutations([corrected], at);
  if (!j?.document) return {};
  try {
    return { correctedHash: linkHash(j.link.seq, j.link.prevHash, j.document) };
  } catch {
    return {};
  }
}

/**
 * A corrected payload is HQ's input: one its kind's schema refuses (or that names another mutation)
 * is answered 400 naming the fields, and the mutation stays quarantined as it was.
 */
function invalidCorrection(kind: string, payload: unknown, reason: string): AppError {
  const issues = payloadSchemas[kind as keyof typeof payloadSchemas].safeParse(payload).error?.issues ?? [];
  const details =
    issues.length > 0
      ? issues.map((i) => ({ path: ['payload', ...i.path.map(String)].join('.'), message: i.message }))
      : [{ path: 'payload', message: reason }];
  return new AppError('invalid_input', `the corrected payload is refused: ${reason}`, details);
}

/** Resolves a quarantined mutation without applying it; the reason is kept with it and audited. */
export async function discardQuarantined(ctx: QuarantineContext, id: string, reason: string): Promise<void> {
  const text = reason.trim();
  if (text.length === 0 || text.length > 500)
    throw new AppError('invalid_input', 'a discard needs a reason (1–500 characters)');
  const at = (ctx.now?.() ?? new Date()).toISOString();
  const deviceId = await ctx.db.transaction(async (tx) => {
    const row = await lockUnresolved(tx, id);
    await tx.query('UPDATE sync_quarantine SET resolved_at = $2, resolution = $3 WHERE id = $1', [
      id,
      at,
      `discarded: ${text}`,
    ]);
    await auditTenant(
      tx,
      {
        actor: ctx.actor,
        action: 'sync_quarantine.discarded',
        entity: 'sync_quarantine',
        entityId: id,
        details: { reason: text },
      },
      at,
    );
    return row.device_id;
  });
  ctx.onResolved?.(deviceId);
}
