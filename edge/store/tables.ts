// drizzle tables of the edge-only migrations (migrations/edge/): the outbox, the pull cursor, the
// gapless local counters and what the edge knows about itself. The cloud never has these tables.
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Every local mutation in a per-device gapless `seq`, kept until acknowledged (and a while after). */
export const outbox = sqliteTable('outbox', {
  seq: integer('seq').primaryKey(),
  mutationId: text('mutation_id').notNull().unique(),
  kind: text('kind').notNull(),
  /** The mutation as it goes on the wire (JSON). */
  payload: text('payload').notNull(),
  createdAt: text('created_at').notNull(),
  ackedAt: text('acked_at'),
  /**
   * applied, duplicate, rejected or held, once acknowledged; a rejected or held one becomes
   * resolved_applied or resolved_discarded once the cloud says HQ resolved it (outbox.ts).
   */
  result: text('result'),
});

export const pullState = sqliteTable('pull_state', {
  id: integer('id').primaryKey(),
  cursor: integer('cursor').notNull(),
  pulledAt: text('pulled_at'),
});

export const localSequences = sqliteTable('local_sequences', {
  name: text('name').primaryKey(),
  value: integer('value').notNull(),
});

export const edgeMeta = sqliteTable('edge_meta', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
