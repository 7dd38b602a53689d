// stock_changes (cloud → edge, protocol 5): a page of the branch's stock movements.
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';
import { cursor } from './common.ts';

/**
 * One ledger row of the branch. A count's `countedQtyMilli` is what on hand became at `occurredAt`
 * (its delta is the cloud's arithmetic, recomputed when earlier movements arrive late).
 */
export const stockMovementRowSchema = strictObject({
  id: z.string(),
  productId: z.string(),
  deltaQtyMilli: z.number().int(),
  reason: z.enum(['sale', 'refund', 'receive', 'adjust', 'count', 'transfer']),
  occurredAt: z.string(),
  countedQtyMilli: z.number().int().nullable(),
  sourceId: z.string().nullable(),
});

/** (Protocol 5) A page of the branch's stock movements; `more` asks the edge to pull again from `cursor`. */
export const stockChangesSchema = strictObject({
  type: z.literal('stock_changes'),
  movements: z.array(stockMovementRowSchema),
  cursor,
  more: z.boolean(),
});

export type StockMovementRow = z.infer<typeof stockMovementRowSchema>;
export type StockChanges = z.infer<typeof stockChangesSchema>;
