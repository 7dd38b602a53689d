// error (cloud → edge): a refusal with its code (errors.ts).
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';
import { syncErrorCodes } from '../errors.ts';

export const errorSchema = strictObject({
  type: z.literal('error'),
  code: z.enum(
    Object.keys(syncErrorCodes) as [keyof typeof syncErrorCodes, ...(keyof typeof syncErrorCodes)[]],
  ),
  message: z.string(),
  /** Reconnect (or retry) no sooner than this. */
  retryAfterMs: z.number().int().nonnegative().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export type SyncErrorMessage = z.infer<typeof errorSchema>;
