// Control-plane audit trail: every lifecycle step, who did it, to which org. Details never hold secrets.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { isAppError } from '../../src/errors.ts';

export interface AuditEntry {
  at: Date;
  actor: string;
  action: string;
  orgId: string | null;
  details: Record<string, unknown>;
}

export async function audit(
  db: SqlQueryable,
  entry: { actor: string; action: string; orgId?: string; details?: Record<string, unknown> },
): Promise<void> {
  await db.query('INSERT INTO audit_logs (actor, action, org_id, details) VALUES ($1, $2, $3, $4::jsonb)', [
    entry.actor,
    entry.action,
    entry.orgId ?? null,
    JSON.stringify(entry.details ?? {}),
  ]);
}

export async function auditTrail(db: SqlQueryable, orgId: string): Promise<AuditEntry[]> {
  const rows = await db.query<{
    at: Date;
    actor: string;
    action: string;
    org_id: string | null;
    details: Record<string, unknown> | string;
  }>('SELECT at, actor, action, org_id, details FROM audit_logs WHERE org_id = $1 ORDER BY id', [orgId]);
  return rows.map((r) => ({
    at: new Date(r.at),
    actor: r.actor,
    action: r.action,
    orgId: r.org_id,
    details: typeof r.details === 'string' ? JSON.parse(r.details) : r.details,
  }));
}

/**
 * Runs `fn`; a refusal it throws (any AppError) is audited as `action` with its code and message
 * beside `details`, then rethrown. An audit that fails is not a reason to hide the refusal.
 */
export async function auditingRefusals<T>(
  ctx: { control: SqlQueryable; actor: string },
  refusal: { action: string; orgId?: string | undefined; details?: Record<string, unknown> },
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isAppError(err)) {
      await audit(ctx.control, {
        actor: ctx.actor,
        action: refusal.action,
        ...(refusal.orgId === undefined ? {} : { orgId: refusal.orgId }),
        details: { code: err.code, message: err.message, ...refusal.details },
      }).catch(() => {});
    }
    throw err;
  }
}
