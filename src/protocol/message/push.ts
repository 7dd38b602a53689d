// push (edge → cloud): a batch of outbox mutations.
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';
import { mutationSchema } from '../mutations.ts';

/** A batch of outbox mutations in seq order, starting right after the last acknowledged one. */
export const pushSchema = strictObject({
  type: z.literal('push'),
  mutations: z.array(mutationSchema).min(1),
});

export type Push = z.infer<typeof pushSchema>;
