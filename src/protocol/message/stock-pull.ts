// stock_pull (edge → cloud, protocol 5): asks for the branch's stock movements.
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';
import { cursor } from './common.ts';

/** Most stock movements one `stock_changes` page carries. */
export const MAX_STOCK_PAGE = 5000;

/**
 * (Protocol 5) Asks for the stock movements of the device's branch after `cursor` (the branch's
 * ledger cursor) that other devices and HQ recorded: other tills' sales, receipts, counts, transfers in.
 */
export const stockPullSchema = strictObject({
  type: z.literal('stock_pull'),
  cursor,
  limit: z.number().int().positive().max(MAX_STOCK_PAGE).optional(),
});

export type StockPull = z.infer<typeof stockPullSchema>;
