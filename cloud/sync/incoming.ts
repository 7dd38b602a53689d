// What a connection queues for a frame: the message (or why it is none) and, for a push within the
// batch limit, its payloads parsed for their kinds. Pure: no database, so it is done as the frame is
// taken in, while earlier batches are written.
import type { RawData } from 'ws';
import { type ParsedFrame, readFrame } from './frame.ts';
import { type ParsedMutation, parsePayloads } from './parsed-mutation.ts';
import type { SyncLimits } from './session-deps.ts';

export interface Incoming {
  parsed: ParsedFrame;
  /** A push's payloads by seq, parsed on taking it in (only the SQL waits its turn). */
  payloads?: ReadonlyMap<number, ParsedMutation['parsed']>;
}

export type FrameLimits = Pick<SyncLimits, 'maxFrameBytes' | 'maxBatchMutations'>;

export function readIncoming(data: RawData, isBinary: boolean, limits: FrameLimits): Incoming {
  const parsed = readFrame(data, isBinary, limits.maxFrameBytes);
  if (
    parsed.ok &&
    parsed.message.type === 'push' &&
    parsed.message.mutations.length <= limits.maxBatchMutations
  ) {
    return { parsed, payloads: parsePayloads(parsed.message.mutations) };
  }
  return { parsed };
}
