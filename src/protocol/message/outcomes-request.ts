// outcomes (edge → cloud, protocol 4): what became of quarantined seqs.
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';
import { cursor } from './common.ts';

/** Most seqs one `outcomes` request may name: the answer stays far below the frame limit. */
export const MAX_OUTCOME_SEQS = 500;

/**
 * (Protocol 4) What became of these seqs of the device's, acknowledged `rejected` or `held`: the edge
 * pages through the ones it still lists, in ascending seq order, at most `MAX_OUTCOME_SEQS` at a time.
 */
export const outcomesRequestSchema = strictObject({
  type: z.literal('outcomes'),
  seqs: z
    .array(cursor)
    .min(1)
    .max(MAX_OUTCOME_SEQS)
    .refine(
      (seqs) => seqs.every((s, i) => i === 0 || s > seqs[i - 1]!),
      'seqs must be ascending and distinct',
    ),
});

export type OutcomesRequest = z.infer<typeof outcomesRequestSchema>;
