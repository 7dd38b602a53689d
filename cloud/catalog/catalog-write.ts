// The shape every catalog write shares: the change-log lock, the write itself, its change-log
// entries and a tenant audit entry, all in one transaction; unforeseen unique violations answer
// `conflict`.
import { eq } from 'drizzle-orm';
import { isUniqueViolation } from '../../src/db/driver-errors.ts';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import type { SqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import { type products, taxRates } from '../../src/schema/pg.ts';
import { appendChanges, auditTenant, type Change, lockChangeLog } from './change-log.ts';

export type Product = typeof products.$inferSelect;

export interface WriteContext {
  db: SqlDatabase;
  /** Who is writing, for the tenant's audit log. */
  actor: string;
  now?: () => Date;
  /** Called with the new change-log cursor once the write has committed (the cloud pokes connected devices). */
  onCommitted?: (cursor: number) => void | Promise<void>;
}

/** Runs one catalog write: the change-log lock, then `fn`, then its changes and audit entry, all in one transaction. */
export async function catalogWrite<T>(
  ctx: WriteContext,
  fn: (
    tx: SqlQueryable,
    at: string,
  ) => Promise<{
    result: T;
    changes: Change[];
    action: string;
    /** What the audit entry is about; the first change unless said otherwise. */
    subject?: Change;
    details?: Record<string, unknown>;
  }>,
): Promise<T> {
  const at = (ctx.now?.() ?? new Date()).toISOString();
  const { result, cursor } = await uniqueViolationIsConflict(() =>
    ctx.db.transaction(async (tx) => {
      await lockChangeLog(tx);
      const { result, changes, action, subject, details } = await fn(tx, at);
      const cursor = await appendChanges(tx, changes, at);
      const first = subject ?? changes[0]!;
      await auditTenant(
        tx,
        {
          actor: ctx.actor,
          action,
          entity: first.entity,
          entityId: first.entityId,
          ...(details ? { details } : {}),
        },
        at,
      );
      return { result, cursor };
    }),
  );
  await ctx.onCommitted?.(cursor);
  return result;
}

/** A unique key the checks above did not foresee (two writers racing, a repeated effective_from): a conflict, not a 500. */
async function uniqueViolationIsConflict<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isUniqueViolation(err)) {
      const table = (err as { table?: string; cause?: { table?: string } }).cause?.table;
      throw new AppError('conflict', `that would duplicate an existing ${table ?? 'row'}`);
    }
    throw err;
  }
}

export async function requireTaxRate(tx: SqlQueryable, id: string | undefined): Promise<string> {
  const db = pgDrizzle(tx);
  const [rate] = id
    ? await db.select({ id: taxRates.id }).from(taxRates).where(eq(taxRates.id, id))
    : await db.select({ id: taxRates.id }).from(taxRates).where(eq(taxRates.isDefault, true));
  if (!rate)
    throw new AppError('invalid_input', id ? `no tax rate ${id}` : 'the tenant has no default tax rate');
  return rate.id;
}
