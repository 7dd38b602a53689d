// HQ's stock writes: goods received, adjustments, counts and transfers recorded at HQ (a delivery to
// the warehouse, a stocktake entered from paper), and reorder levels. A document goes through the same
// ledger as pushed ones (cloud/sync/stock-ledger.ts) with the tenant's audit entry, in one transaction;
// branches and products must exist. Edges of the branches touched learn the rows through pull.
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { SqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import { instantSchema, stockLevelSchema, strictObject, text, textLimits } from '../../src/domain/bounds.ts';
import { codeSchema } from '../../src/domain/payloads.ts';
import {
  adjustmentInputSchema,
  countInputSchema,
  receiptInputSchema,
  transferInputSchema,
} from '../../src/domain/stock.ts';
import { AppError } from '../../src/errors.ts';
import type { StockDocument, StockKind } from '../../src/protocol/stock.ts';
import { insertStockDocuments } from '../sync/write-stock.ts';
import { auditTenant } from './change-log.ts';

/** How far ahead of the cloud's clock HQ may date a stock document (clocks differ a little). */
const MAX_AHEAD_MS = 5 * 60_000;

/** HQ names the branch, and may date the document (a count taken this morning, entered now). */
const atBranch = { branch: codeSchema, occurredAt: instantSchema.optional() };

/** The body of each HQ stock route, by the kind it records. */
export const hqStockSchemas = {
  stock_receipt: receiptInputSchema.extend(atBranch),
  stock_adjustment: adjustmentInputSchema.extend(atBranch),
  stock_count: countInputSchema.extend(atBranch),
  stock_transfer: transferInputSchema.extend(atBranch).refine((t) => t.toBranch !== t.branch, {
    message: 'a transfer goes to another branch',
    path: ['toBranch'],
  }),
} as const;

export const reorderLevelSchema = strictObject({
  branch: codeSchema,
  productId: text(textLimits.id).min(1),
  levelMilli: stockLevelSchema,
});

/** What the HQ stock route of `kind` parses its body to: the input recordHqStock takes. */
export type HqStockInput<K extends StockKind = StockKind> = z.output<(typeof hqStockSchemas)[K]>;
export type ReorderLevelInput = z.output<typeof reorderLevelSchema>;

interface StockContext {
  db: SqlDatabase;
  actor: string;
  now: () => Date;
}

async function requireBranches(tx: SqlQueryable, codes: readonly string[]): Promise<void> {
  const rows = await tx.query<{ code: string }>('SELECT code FROM branches WHERE code = ANY($1::text[])', [
    [...codes],
  ]);
  const missing = codes.find((c) => !rows.some((r) => r.code === c));
  if (missing !== undefined) throw new AppError('not_found', `no branch ${missing}`);
}

async function requireProducts(tx: SqlQueryable, ids: readonly string[]): Promise<void> {
  const rows = await tx.query<{ id: string }>('SELECT id FROM products WHERE id = ANY($1::text[])', [
    [...ids],
  ]);
  const missing = ids.find((id) => !rows.some((r) => r.id === id));
  if (missing !== undefined) throw new AppError('not_found', `no product ${missing}`);
}

/** The wire document HQ's body makes (lines numbered in the order given). */
function documentOf(kind: StockKind, body: Record<string, unknown>, id: string, at: string, actor: string) {
  const {
    branch,
    lines,
    cashier: _none,
    occurredAt: _at,
    id: _id,
    note,
    reason,
    toBranch,
  } = body as {
    branch: string;
    lines: object[];
    [k: string]: unknown;
  };
  const doc: Record<string, unknown> = {
    id,
    branch,
    occurredAt: at,
    actor,
    lines: lines.map((l, i) => ({ lineNo: i + 1, ...l })),
  };
  if (kind === 'stock_adjustment') doc.reason = reason;
  else doc.note = note ?? null;
  if (kind === 'stock_transfer') doc.toBranch = toBranch;
  return { kind, doc } as StockDocument;
}

/**
 * Records a stock document from HQ: 201 with the document; the same id again (HQ's own document of
 * that kind) answers the stored one with 200; an id another document holds is `conflict`.
 */
export async function recordHqStock<K extends StockKind>(
  ctx: StockContext,
  kind: K,
  body: HqStockInput<K>,
): Promise<{ created: boolean; document: unknown }> {
  const at = ctx.now().toISOString();
  // A document dated ahead would fix on hand (a count) over sales not made yet.
  if (body.occurredAt !== undefined && Date.parse(body.occurredAt) > Date.parse(at) + MAX_AHEAD_MS) {
    throw new AppError('invalid_input', 'occurredAt is in the future', [
      { path: 'occurredAt', message: `at most ${MAX_AHEAD_MS / 60_000} minutes after now (${at})` },
    ]);
  }
  return ctx.db.transaction(async (tx) => {
    const id = body.id ?? randomUUID();
    const [held] = await tx.query<{ kind: string; device_id: string | null; payload: string }>(
      'SELECT kind, device_id, payload FROM stock_documents WHERE id = $1',
      [id],
    );
    if (held) {
      if (held.kind === kind && held.device_id === null)
        return { created: false, document: JSON.parse(held.payload) };
      throw new AppError('conflict', `id ${id} already names another document`);
    }
    const taken = await tx.query(
      'SELECT 1 FROM sales WHERE id = $1 UNION ALL SELECT 1 FROM shifts WHERE id = $1 UNION ALL SELECT 1 FROM cash_movements WHERE id = $1',
      [id],
    );
    if (taken.length > 0) throw new AppError('conflict', `id ${id} already names another document`);
    const toBranch = 'toBranch' in body ? body.toBranch : undefined;
    await requireBranches(tx, toBranch === undefined ? [body.branch] : [body.branch, toBranch]);
    await requireProducts(
      tx,
      body.lines.map((l) => l.productId),
    );
    const document = documentOf(kind, body as Record<string, unknown>, id, body.occurredAt ?? at, ctx.actor);
    await insertStockDocuments(tx, [{ ...document, seq: null }], null, at);
    await auditTenant(
      tx,
      {
        actor: ctx.actor,
        action: `${kind.replace('stock_', 'stock.')}.record`,
        entity: 'stock_document',
        entityId: id,
        details: { branch: body.branch, lines: body.lines.length },
      },
      at,
    );
    return { created: true, document: document.doc };
  });
}

/** Sets a product's reorder level at a branch (0 clears it in effect: nothing is below zero and low). */
export async function setReorderLevel(ctx: StockContext, body: ReorderLevelInput) {
  const at = ctx.now().toISOString();
  return ctx.db.transaction(async (tx) => {
    await requireBranches(tx, [body.branch]);
    await requireProducts(tx, [body.productId]);
    await tx.query(
      `INSERT INTO reorder_levels (branch_code, product_id, level_milli, updated_at, updated_by)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (branch_code, product_id)
       DO UPDATE SET level_milli = excluded.level_milli, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [body.branch, body.productId, body.levelMilli, at, ctx.actor],
    );
    await auditTenant(
      tx,
      {
        actor: ctx.actor,
        action: 'reorder_level.set',
        entity: 'reorder_level',
        entityId: `${body.branch}/${body.productId}`,
        details: { levelMilli: body.levelMilli },
      },
      at,
    );
    return { ...body, updatedAt: at };
  });
}

/** On hand per product at one branch (or every branch), with its reorder level. */
export async function listOnHand(db: SqlQueryable, branch: string | null) {
  const rows = await db.query<{
    branch: string;
    productId: string;
    qtyMilli: number;
    reorderLevelMilli: number | null;
  }>(
    `SELECT h.branch_code AS branch, h.product_id AS "productId", h.qty_milli AS "qtyMilli",
            r.level_milli AS "reorderLevelMilli"
       FROM stock_on_hand h
       LEFT JOIN reorder_levels r ON r.branch_code = h.branch_code AND r.product_id = h.product_id
      WHERE $1::text IS NULL OR h.branch_code = $1
      ORDER BY h.branch_code, h.product_id`,
    [branch],
  );
  return rows.map((r) => ({
    ...r,
    qtyMilli: Number(r.qtyMilli),
    reorderLevelMilli: r.reorderLevelMilli === null ? null : Number(r.reorderLevelMilli),
  }));
}

export const onHandQuery = strictObject({ branch: codeSchema.optional() });
export type OnHandQuery = z.infer<typeof onHandQuery>;
