// A pushed mutation with its payload parsed for its kind. Pure (no database): done as a frame is
// taken in (incoming.ts), while earlier batches are written, and when a quarantined one is replayed.
import type { Mutation } from '../../src/protocol/mutations.ts';
import { parseMutation } from './validate.ts';

/** A mutation with its payload parsed for its kind (or why it could not be). */
export interface ParsedMutation {
  m: Mutation;
  parsed: ReturnType<typeof parseMutation>;
}

/** Every mutation's payload parsed for its kind, by seq. */
export const parsePayloads = (
  mutations: readonly Mutation[],
): ReadonlyMap<number, ParsedMutation['parsed']> => new Map(mutations.map((m) => [m.seq, parseMutation(m)]));

/** Parses a mutation's payload for its kind; pure, so callers do it outside their transaction. */
export const parsedMutation = (m: Mutation): ParsedMutation => ({ m, parsed: parseMutation(m) });
