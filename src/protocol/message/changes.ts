// changes (cloud → edge): a page of catalog changes; each row fits its entity's schema (catalog-rows.ts).
import { z } from 'zod';
import { strictObject } from '../../domain/payloads.ts';
import { cursor } from './common.ts';

/** One changed catalog row; `row` is null for a delete. Rows are the tenant tables' columns in camelCase. */
export const changeSchema = strictObject({
  cursor,
  entity: z.string(),
  entityId: z.string(),
  op: z.enum(['upsert', 'delete']),
  row: z.record(z.string(), z.unknown()).nullable(),
});

/** A page of catalog changes; `more` asks the edge to pull again from `cursor`. */
export const changesSchema = strictObject({
  type: z.literal('changes'),
  changes: z.array(changeSchema),
  cursor,
  more: z.boolean(),
});

export type Change = z.infer<typeof changeSchema>;
export type Changes = z.infer<typeof changesSchema>;
