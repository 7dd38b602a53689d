// ping (edge → cloud): a heartbeat, with the edge's backlog.
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';
import { lenientBacklog } from './common.ts';

export const pingSchema = strictObject({
  type: z.literal('ping'),
  at: z.number().optional(),
  backlog: lenientBacklog,
});

export type Ping = z.infer<typeof pingSchema>;
