// ack (cloud → edge): one result per pushed mutation.
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';
import { rejectionCodeSchema } from '../rejections.ts';
import { cursor } from './common.ts';

export const mutationResultSchema = strictObject({
  seq: cursor,
  id: z.string(),
  /**
   * `held` (protocol 3): accepted but not applied yet, kept by the cloud until what it depends on
   * arrives (a refund whose original sale another device has not pushed yet); the edge treats it as
   * acknowledged. Edges of protocol 1 and 2 get `rejected` with code `awaiting_original` instead.
   */
  status: z.enum(['applied', 'duplicate', 'rejected', 'held']),
  /** Why a mutation was rejected (and quarantined) or held (src/protocol/rejections.ts). */
  code: rejectionCodeSchema.optional(),
  message: z.string().optional(),
});

/** Sent only after the batch committed: one result per mutation, in order. */
export const ackSchema = strictObject({
  type: z.literal('ack'),
  results: z.array(mutationResultSchema),
  lastAppliedSeq: cursor,
});

export type MutationResult = z.infer<typeof mutationResultSchema>;
export type Ack = z.infer<typeof ackSchema>;
