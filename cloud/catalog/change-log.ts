// The tenant's change log: every catalog write appends (entity, id) with the next cursor in the
// same transaction as the write. Writers take a per-database advisory lock first, so cursors commit
// in order and a puller reading "after cursor N" never skips a row committed later with a lower one.
import { randomUUID } from 'node:crypto';
import { max } from 'drizzle-orm';
import { pgDrizzle } from '../../src/db/drizzle.ts';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { auditLogs, changeLog } from '../../src/schema/pg.ts';

/** Advisory-lock class of change-log writers (advisory locks are per database, so per tenant). */
const CHANGE_LOG_LOCK = 0x4d43;

import type { CatalogEntity } from '../../src/protocol/catalog-rows.ts';

export type { CatalogEntity };

/** What a tenant audit entry is about: catalog rows, and the devices and quarantined mutations HQ manages. */
export type AuditEntity =
  | CatalogEntity
  | 'device'
  | 'sync_quarantine'
  | 'stock_document'
  | 'reorder_level'
  | 'journal';

export interface Change {
  entity: CatalogEntity;
  entityId: string;
  op?: 'upsert' | 'delete';
}

/** Takes the change-log lock for the rest of the transaction. Call first, before reading what you will change. */
export async function lockChangeLog(tx: SqlQueryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock($1::int, 0)', [CHANGE_LOG_LOCK]);
}

/** Appends changes with consecutive cursors; returns the last cursor. The lock must be held. */
export async function appendChanges(
  tx: SqlQueryable,
  changes: readonly Change[],
  at: string,
): Promise<number> {
  const db = pgDrizzle(tx);
  const [row] = await db.select({ top: max(changeLog.cursor) }).from(changeLog);
  let cursor = Number(row?.top ?? 0);
  for (const change of changes) {
    cursor++;
    await db.insert(changeLog).values({
      cursor,
      entity: change.entity,
      entityId: change.entityId,
      op: change.op ?? 'upsert',
      changedAt: at,
    });
  }
  return cursor;
}

/** Records an HQ change in the tenant's own audit log (never secrets: callers pass ids and field names). */
export async function auditTenant(
  tx: SqlQueryable,
  entry: {
    actor: string;
    action: string;
    entity: AuditEntity;
    entityId: string;
    details?: Record<string, unknown>;
  },
  at: string,
): Promise<void> {
  await pgDrizzle(tx)
    .insert(auditLogs)
    .values({
      id: randomUUID(),
      at,
      actor: entry.actor,
      action: entry.action,
      entity: entry.entity,
      entityId: entry.entityId,
      details: JSON.stringify(entry.details ?? {}),
    });
}
