// pull (edge → cloud): asks for catalog changes.
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';
import { cursor } from './common.ts';

/** Asks for catalog changes after `cursor`, at most `limit` of them. */
export const pullSchema = strictObject({
  type: z.literal('pull'),
  cursor,
  limit: z.number().int().positive().max(10_000).optional(),
});

export type Pull = z.infer<typeof pullSchema>;
