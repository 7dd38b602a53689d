// Scalars and parts several sync messages share.
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';

export const cursor = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const version = z.number().int().positive().max(1_000_000);

/**
 * What an edge has not yet had acknowledged (protocol 2), for the cloud's per-device metrics. The
 * age is the edge's own arithmetic, so a till whose clock is wrong still reports it right. Parsed
 * leniently where it is used: a figure for metrics is never the reason a till cannot sync.
 */
export const backlogSchema = strictObject({
  pending: z.number().int().nonnegative(),
  /** Seconds since the oldest unacknowledged mutation was recorded; null with nothing pending. */
  oldestPendingAgeSeconds: z.number().nonnegative().nullable(),
});
export const lenientBacklog = backlogSchema.optional().catch(undefined);

export type Backlog = z.infer<typeof backlogSchema>;
