// hello (edge → cloud): the first message of a connection.
import { z } from 'zod';
import { codeSchema, strictObject } from '../../domain/payloads.ts';
import { cursor, lenientBacklog, version } from './common.ts';

/** First message of a connection: who the edge is and where it stands. */
export const helloSchema = strictObject({
  type: z.literal('hello'),
  protocolVersion: version,
  /** The tenant schema version of the edge's store. */
  schemaVersion: version,
  /** The edge database's own id: a device token is bound to the first database that syncs with it. */
  storeId: z.uuid(),
  /** The edge's change-log cursor: catalog changes after it are still to come. */
  pullCursor: cursor,
  /** Terminal codes this device records sales for (a branch server has several). */
  terminals: z.array(codeSchema).max(64),
  /** Free text for operators (build, host). */
  agent: z.string().max(200).optional(),
  backlog: lenientBacklog,
});

export type Hello = z.infer<typeof helloSchema>;
