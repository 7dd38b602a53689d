// outcomes (cloud → edge, protocol 4): where quarantined mutations stand; resolved: ask again.
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';
import { rejectionCodeSchema } from '../rejections.ts';
import { cursor } from './common.ts';

/**
 * Where one quarantined mutation stands now. `applied`: HQ replayed it (or the cloud already held it),
 * or a held refund's original arrived; `discarded`: HQ discarded it; `rejected` or `held`: still in
 * the quarantine, with its current reason code (a held refund that failed its checks once its
 * original arrived is `rejected` from then on).
 */
export const outcomeSchema = strictObject({
  seq: cursor,
  id: z.string(),
  status: z.enum(['applied', 'discarded', 'rejected', 'held']),
  code: rejectionCodeSchema.optional(),
});

/** (Protocol 4) The answer to `outcomes`: one entry per asked seq the quarantine holds, in seq order. */
export const outcomesSchema = strictObject({
  type: z.literal('outcomes'),
  outcomes: z.array(outcomeSchema),
});

/** (Protocol 4) Some of this device's quarantined mutations were resolved: ask their outcomes. */
export const resolvedSchema = strictObject({ type: z.literal('resolved') });

export type Outcome = z.infer<typeof outcomeSchema>;
export type Outcomes = z.infer<typeof outcomesSchema>;
