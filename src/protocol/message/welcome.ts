// welcome (cloud → edge): the answer to hello.
import { z } from 'zod';
import { codeSchema, strictObject } from '../../domain/payloads.ts';
import { cursor, version } from './common.ts';

/** The answer to hello: the device as the tenant knows it, and the limits of this connection. */
export const welcomeSchema = strictObject({
  type: z.literal('welcome'),
  protocolVersion: version,
  orgId: z.string(),
  deviceId: z.string(),
  branch: strictObject({ code: codeSchema, timeZone: z.string() }),
  /** The terminal codes of the hello this device now owns; a code another device owns is left out (its documents are quarantined). */
  terminals: z.array(codeSchema),
  /** The last seq the tenant database has applied for this device; the edge pushes from the next. */
  lastAppliedSeq: cursor,
  /** The tenant's latest change-log cursor. */
  latestCursor: cursor,
  limits: strictObject({ maxFrameBytes: z.number().int(), maxBatchMutations: z.number().int() }),
  /** The edge pings at least this often; the cloud closes a connection silent for twice as long. */
  heartbeatMs: z.number().int(),
});

export type Welcome = z.infer<typeof welcomeSchema>;
